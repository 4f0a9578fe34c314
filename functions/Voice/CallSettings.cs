using Hotline.Functions.Configuration;

namespace Hotline.Functions.Voice;

/// <summary>
/// How the voice line waits: how long counsellors' phones ring in one round (<c>Voice__RingTime</c>, default 20 s),
/// how long a counsellor has to press 1 after hearing the whisper (<c>Voice__AcceptTime</c>, 10 s), and the longest
/// voicemail (<c>Voice__VoicemailMaxLength</c>, 2 min).
/// </summary>
public sealed record CallSettings(TimeSpan RingTime, TimeSpan AcceptTime, TimeSpan VoicemailMaxLength)
{
    public static CallSettings Read(IConfiguration configuration)
    {
        var reader = new SettingReader(configuration);
        return new CallSettings(
            Within(reader.Duration("Voice:RingTime", TimeSpan.FromSeconds(20)), "Voice:RingTime", 5, 120),
            Within(reader.Duration("Voice:AcceptTime", TimeSpan.FromSeconds(10)), "Voice:AcceptTime", 3, 60),
            Within(reader.Duration("Voice:VoicemailMaxLength", TimeSpan.FromMinutes(2)), "Voice:VoicemailMaxLength", 10, 600));
    }

    private static TimeSpan Within(TimeSpan value, string key, int minSeconds, int maxSeconds) =>
        value.TotalSeconds >= minSeconds && value.TotalSeconds <= maxSeconds && value.TotalSeconds == Math.Floor(value.TotalSeconds)
            ? value
            : throw new StartupSettingException(
                $"Setting '{SettingReader.DisplayName(key)}' is malformed: expected whole seconds between {minSeconds} and {maxSeconds}.");
}

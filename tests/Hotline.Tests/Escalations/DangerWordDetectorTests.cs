using Hotline.Escalations;
using Hotline.Messaging;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Escalations;

public sealed class DangerWordDetectorTests
{
    private static readonly DangerWordDetector Detector = new(["m-au închis", "they locked me", "kill myself", "мене б'ють", "救命", "محبوسة"]);

    [Theory]
    [InlineData("Ajutor, M-AU INCHIS în depozit", "m au inchis")] // case and diacritics ignored, hyphen or not
    [InlineData("ajutor m au inchis aici", "m au inchis")]
    [InlineData("please, they locked me in the container!", "they locked me")]
    [InlineData("I want to kill myself", "kill myself")]
    [InlineData("мене бʼють щодня", "мене б ють")] // the modifier-letter apostrophe Ukrainians type
    [InlineData("мене б’ють", "мене б ють")]
    [InlineData("老板不让我走救命啊", "救命")] // Chinese: anywhere in the text
    [InlineData("أنا مَحْبُوسَة في البيت", "محبوسه")] // Arabic vowel marks and teh marbuta folded
    public void Finds_a_danger_phrase_however_it_is_typed(string message, string expected) =>
        Assert.Equal(expected, Detector.FirstMatch(message));

    [Theory]
    [InlineData("they locked mercy out")] // whole words only
    [InlineData("the door was locked, me and my friend left")]
    [InlineData("Bună ziua, am o întrebare despre salariu")]
    [InlineData("")]
    public void Stays_quiet_on_ordinary_messages(string message) => Assert.Null(Detector.FirstMatch(message));

    [Fact]
    public void Every_shipped_language_has_a_danger_list_that_finds_its_own_words()
    {
        var texts = CallerTexts.Load(Path.Combine(TestEnvironment.RepoRoot, "src", "Hotline.Functions", "Texts"));
        foreach (var language in texts.Languages)
        {
            var words = texts.DangerWords(language);
            Assert.True(words.Count >= 10, $"{language}.json has {words.Count} danger words");
            var detector = new DangerWordDetector(words);
            Assert.All(words, w => Assert.NotNull(detector.FirstMatch("... " + w + " ...")));
        }
    }
}

public sealed class AlertSettingsTests
{
    [Theory]
    [InlineData("+40700000999", null, "Missing required setting 'Alerts__FromNumber'")]
    [InlineData("call sam", "+442071234567", "Setting 'Alerts__SupervisorNumbers' is malformed")]
    public async Task A_bad_alert_setting_stops_startup_naming_it(string numbers, string? from, string expected)
    {
        var e = await Assert.ThrowsAsync<Hotline.Functions.Configuration.StartupSettingException>(() => RunningApp.StartAsync(
            new Dictionary<string, string?> { ["Alerts:SupervisorNumbers"] = numbers, ["Alerts:FromNumber"] = from }));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }
}

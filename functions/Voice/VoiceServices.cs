using Hotline.Calls;
using Hotline.Functions.Configuration;

namespace Hotline.Functions.Voice;

public static class VoiceServices
{
    /// <summary>The voice line: call settings, the prompts and the call desk (settings are checked at start-up).</summary>
    public static IServiceCollection AddVoice(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(CallSettings.Read(configuration));
        services.AddSingleton<CallAnswers>();
        services.AddSingleton<CallDesk>();
        services.AddSingleton<CounsellorRinger>();
        return services;
    }
}

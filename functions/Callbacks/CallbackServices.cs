using System.Globalization;
using Hotline.Callbacks;
using Hotline.Functions.Configuration;
using Hotline.Storage;

namespace Hotline.Functions.Callbacks;

public static class CallbackServices
{
    /// <summary>
    /// Safe callbacks: the request store, the scheduler and its settings (checked now, at start-up). The requests'
    /// secrets (<see cref="ICallbackSecrets"/>) are registered with the other secrets (AddCallbackSecrets).
    /// </summary>
    public static IServiceCollection AddCallbacks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(ReadSettings(configuration));
        services.AddSingleton<ICallbackStore, TableCallbackStore>();
        services.AddSingleton<CallbackScheduler>();
        // Her words for when it is safe, one file per language next to the caller texts; read on first use.
        var textsFolder = new SettingReader(configuration).String("Texts:Folder") ?? Path.Combine(AppContext.BaseDirectory, "Texts");
        services.AddSingleton(_ => new SafeWindowParser(SafeTimeWords.LoadAll(Path.Combine(textsFolder, "TimeWords"))));
        services.AddSingleton(sp => new KeypadPresets(sp.GetRequiredService<SafeWindowParser>()));
        services.AddSingleton<CallbackIntake>();
        services.AddSingleton<SmsCallbackExchange>();
        services.AddCallbackCalls(configuration);
        return services;
    }

    internal static CallbackSettings ReadSettings(IConfiguration configuration)
    {
        var reader = new SettingReader(configuration);
        var defaults = CallbackSettings.Default;
        var maxAttempts = defaults.MaxAttempts;
        if (reader.String("Callbacks:MaxAttempts") is { } value
            && (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out maxAttempts) || maxAttempts < 1))
        {
            throw new StartupSettingException("Setting 'Callbacks__MaxAttempts' is malformed: expected a whole number of at least 1.");
        }

        var zone = reader.String("Callbacks:TimeZone") ?? defaults.TimeZone;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            throw new StartupSettingException($"Setting 'Callbacks__TimeZone' is malformed: '{zone}' is not a known IANA time zone (e.g. Europe/Bucharest).");
        }

        // Cover stories are said aloud to whoever answers: short, neutral, separated by '|'.
        var stories = reader.String("Callbacks:CoverStories") is { } list
            ? list.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : defaults.CoverStories;
        if (stories.Count == 0 || stories.Any(s => s.Length > 200))
        {
            throw new StartupSettingException("Setting 'Callbacks__CoverStories' is malformed: expected one or more stories of at most 200 characters, separated by '|'.");
        }

        return new CallbackSettings(
            reader.Duration("Callbacks:AttemptSpacing", defaults.AttemptSpacing),
            maxAttempts,
            reader.Duration("Callbacks:Expiry", defaults.Expiry))
        {
            TimeZone = zone,
            CoverStories = stories,
            SetupLifetime = reader.Duration("Callbacks:SetupLifetime", defaults.SetupLifetime),
            ClosedRetention = reader.Duration("Callbacks:ClosedRetention", defaults.ClosedRetention),
        };
    }
}

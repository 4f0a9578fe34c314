using System.Globalization;
using System.Net;
using Hotline.Functions.Configuration;

namespace Hotline.Functions.Chat;

/// <summary>How the caller's chat page presents itself: where quick exit goes, and a neutral title and icon.</summary>
/// <param name="QuickExitUrl">The ordinary site quick exit replaces the page with.</param>
/// <param name="PageTitle">The browser tab's title: neutral, so a glance at the screen gives nothing away.</param>
/// <param name="IconFile">An icon for the tab (.png, .ico or .svg); a plain speech bubble when unset.</param>
public sealed record ChatSettings(Uri QuickExitUrl, string PageTitle, string? IconFile)
{
    public const int MaxMessageCharacters = 1000;
    public static readonly Uri DefaultQuickExitUrl = new("https://www.bbc.com/weather");
    public const string DefaultPageTitle = "Chat";
    public const int DefaultNewConversationsPerMinute = 30;
    public static readonly TimeSpan DefaultSessionLifetime = TimeSpan.FromHours(6);

    /// <summary>New chat conversations the hotline takes in a minute, all callers together; more wait.</summary>
    public int NewConversationsPerMinute { get; init; } = DefaultNewConversationsPerMinute;

    /// <summary>How long a session token is accepted after it was issued.</summary>
    public TimeSpan SessionLifetime { get; init; } = DefaultSessionLifetime;

    /// <summary>
    /// The country (ISO 3166 code, e.g. "RO") in which a callback number written in national form is read: the chat
    /// has no line of a country to go by. Unknown ("ZZ") when unset: numbers are then written with + and their
    /// country code.
    /// </summary>
    public string PhoneRegion { get; init; } = UnknownRegion;

    internal const string UnknownRegion = "ZZ";

    internal static ChatSettings Read(IConfiguration configuration)
    {
        var reader = new SettingReader(configuration);
        var exit = DefaultQuickExitUrl;
        if (reader.String("Chat:QuickExitUrl") is { } value)
        {
            exit = Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
                ? uri
                : throw new StartupSettingException("Setting 'Chat__QuickExitUrl' is malformed: expected an absolute http(s) URL.");
        }

        var icon = reader.String("Chat:IconFile");
        if (icon is not null && (!File.Exists(icon) || !IconTypes.ContainsKey(Path.GetExtension(icon).ToLowerInvariant())))
        {
            throw new StartupSettingException("Setting 'Chat__IconFile' is malformed: expected an existing .png, .ico or .svg file.");
        }

        var title = reader.String("Chat:PageTitle") ?? DefaultPageTitle;
        if (title.Length > 60)
        {
            throw new StartupSettingException("Setting 'Chat__PageTitle' is malformed: at most 60 characters.");
        }

        // The client's address is the one the Functions host puts in X-Forwarded-For, replacing whatever the caller
        // sent; no proxy in front of the host is for the app to trust, so the former setting must not linger unread.
        if (reader.String("Chat:TrustedProxies") is not null)
        {
            throw new StartupSettingException(
                "Setting 'Chat__TrustedProxies' is no longer read: the client's address is the one the Functions host " +
                "passes in X-Forwarded-For; remove the setting.");
        }

        var perMinute = DefaultNewConversationsPerMinute;
        if (reader.String("Chat:NewConversationsPerMinute") is { } ceiling
            && (!int.TryParse(ceiling, NumberStyles.None, CultureInfo.InvariantCulture, out perMinute) || perMinute < 1))
        {
            throw new StartupSettingException("Setting 'Chat__NewConversationsPerMinute' is malformed: expected a whole number of at least 1.");
        }

        var region = reader.String("Chat:PhoneRegion")?.ToUpperInvariant() ?? UnknownRegion;
        if (region != UnknownRegion && !PhoneNumbers.PhoneNumberUtil.GetInstance().GetSupportedRegions().Contains(region))
        {
            throw new StartupSettingException("Setting 'Chat__PhoneRegion' is malformed: expected a two-letter country code, e.g. RO.");
        }

        return new ChatSettings(exit, title, icon)
        {
            NewConversationsPerMinute = perMinute,
            PhoneRegion = region,
            SessionLifetime = reader.Duration("Chat:SessionLifetime", DefaultSessionLifetime),
        };
    }

    internal static readonly IReadOnlyDictionary<string, string> IconTypes = new Dictionary<string, string>
    {
        [".png"] = "image/png", [".ico"] = "image/x-icon", [".svg"] = "image/svg+xml",
    };
}

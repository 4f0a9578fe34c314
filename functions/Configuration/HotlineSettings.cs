using System.Globalization;
using Hotline.Functions.Auth;

namespace Hotline.Functions.Configuration;

/// <summary>
/// Every setting the hotline reads at startup, parsed once. A missing or malformed required setting stops startup
/// with a <see cref="StartupSettingException"/> whose one-line message names the setting as an administrator sets
/// it (<c>Section__Key</c>). See the settings table in README.md.
/// </summary>
public sealed record HotlineSettings(
    int? CustomHandlerPort,
    SecretsSettings Secrets,
    FunctionsHostSettings Functions,
    AuthSettings Auth,
    LanguageSettings Languages,
    bool SeedDemoRoster)
{
    public const string CustomHandlerPortSetting = "FUNCTIONS_CUSTOMHANDLER_PORT";

    /// <summary>True when the Azure Functions host started this process and drives its triggers.</summary>
    public bool UnderFunctionsHost => CustomHandlerPort is not null;

    public static HotlineSettings Read(IConfiguration configuration, IHostEnvironment environment)
    {
        var reader = new SettingReader(configuration);
        var port = reader.Port(CustomHandlerPortSetting);

        var provider = reader.Enum("Secrets:Provider",
            environment.IsDevelopment() ? SecretsProvider.Local : SecretsProvider.KeyVault);
        if (provider == SecretsProvider.Local && !environment.IsDevelopment())
        {
            throw new StartupSettingException(
                "Setting 'Secrets__Provider' is Local, which is allowed only in Development; " +
                "set it to KeyVault and set 'Secrets__VaultUri'.");
        }

        var secrets = new SecretsSettings(
            provider,
            provider == SecretsProvider.KeyVault ? reader.RequiredHttpsUri("Secrets:VaultUri") : null,
            reader.Duration("Secrets:RefreshInterval", TimeSpan.FromMinutes(5)),
            reader.String("Secrets:LocalFile") ?? Path.Combine(".secrets", "dev-secrets.json"));

        var localHost = reader.Bool("LocalFunctionsHost:Enabled", defaultValue: port is null);
        var root = FunctionsHostSettings.ResolveRoot(reader.String("Functions:Root"));
        var functions = new FunctionsHostSettings(root, localHost);

        var authority = reader.String("Auth:Authority");
        if (authority is null && !environment.IsDevelopment())
        {
            throw new StartupSettingException(
                "Missing required setting 'Auth__Authority': the OpenID Connect authority that signs staff tokens " +
                "(e.g. https://login.microsoftonline.com/<tenant>/v2.0).");
        }

        if (authority is not null && (!Uri.TryCreate(authority, UriKind.Absolute, out var authorityUri)
                                      || authorityUri.Scheme != Uri.UriSchemeHttps))
        {
            throw new StartupSettingException("Setting 'Auth__Authority' is malformed: expected an absolute https URI.");
        }

        var auth = new AuthSettings(
            authority,
            authority is null ? null : reader.String("Auth:Audience") ?? throw new StartupSettingException(
                "Missing required setting 'Auth__Audience': the application ID URI or client id tokens are issued for."),
            reader.String("Auth:UserClaim") ?? (authority is null ? "user" : "preferred_username"),
            reader.String("Auth:ConsoleClientId"),
            reader.String("Auth:ConsoleScope"));

        return new HotlineSettings(
            port, secrets, functions, auth, LanguageSettings.Read(configuration), reader.Bool("Demo:SeedRoster", false));
    }
}

public enum SecretsProvider
{
    Local,
    KeyVault,
}

public sealed record SecretsSettings(
    SecretsProvider Provider,
    Uri? VaultUri,
    TimeSpan RefreshInterval,
    string LocalFile);

/// <param name="Root">The folder holding host.json and the function folders.</param>
/// <param name="LocalHostEnabled">Whether this process drives queue and timer triggers itself (outside Azure).</param>
public sealed record FunctionsHostSettings(string Root, bool LocalHostEnabled)
{
    /// <summary>
    /// The configured root, else the folder of the executable when it holds host.json (the deployed package),
    /// else the nearest folder upward from the working directory that holds host.json (a source checkout).
    /// </summary>
    public static string ResolveRoot(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var full = Path.GetFullPath(configured);
            if (!File.Exists(Path.Combine(full, "host.json")))
            {
                throw new StartupSettingException(
                    $"Setting 'Functions__Root' is malformed: no host.json in '{full}'.");
            }

            return full;
        }

        if (File.Exists(Path.Combine(AppContext.BaseDirectory, "host.json")))
        {
            return AppContext.BaseDirectory;
        }

        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "host.json")))
            {
                return dir.FullName;
            }
        }

        throw new StartupSettingException(
            "Missing required setting 'Functions__Root': no host.json next to the executable or above the " +
            "working directory; set it to the folder that holds host.json.");
    }
}

public sealed class StartupSettingException(string message) : Exception(message);

/// <summary>Reads typed settings and turns every problem into one line that names the setting.</summary>
internal sealed class SettingReader(IConfiguration configuration)
{
    public static string DisplayName(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    public string? String(string key)
    {
        var value = configuration[key];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    public bool Bool(string key, bool defaultValue)
    {
        var value = String(key);
        if (value is null)
        {
            return defaultValue;
        }

        return bool.TryParse(value, out var result)
            ? result
            : throw Malformed(key, "expected true or false");
    }

    public TimeSpan Duration(string key, TimeSpan defaultValue)
    {
        var value = String(key);
        if (value is null)
        {
            return defaultValue;
        }

        return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var result) && result > TimeSpan.Zero
            ? result
            : throw Malformed(key, "expected a positive duration such as 00:05:00");
    }

    public TEnum Enum<TEnum>(string key, TEnum defaultValue)
        where TEnum : struct, Enum
    {
        var value = String(key);
        if (value is null)
        {
            return defaultValue;
        }

        return System.Enum.TryParse<TEnum>(value, ignoreCase: true, out var result) && System.Enum.IsDefined(result)
            ? result
            : throw Malformed(key, $"expected one of {string.Join(", ", System.Enum.GetNames<TEnum>())}");
    }

    public Uri RequiredHttpsUri(string key)
    {
        var value = String(key) ?? throw new StartupSettingException(
            $"Missing required setting '{DisplayName(key)}'.");
        return Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
            ? uri
            : throw Malformed(key, "expected an absolute https URI");
    }

    public int? Port(string key)
    {
        var value = String(key);
        if (value is null)
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw Malformed(key, "expected a TCP port number");
    }

    private static StartupSettingException Malformed(string key, string expectation) =>
        new($"Setting '{DisplayName(key)}' is malformed: {expectation}.");
}

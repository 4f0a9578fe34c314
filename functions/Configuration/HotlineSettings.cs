using System.Globalization;
using Hotline.Functions.Auth;

namespace Hotline.Functions.Configuration;

/// <summary>
/// Every setting the hotline reads at startup, parsed once. A missing or malformed required setting stops startup
/// with a <see cref="StartupSettingException"/> whose one-line message names the setting as an administrator sets
/// it (<c>Section__Key</c>). See the settings table in README.md.
/// </summary>
public sealed record HotlineSettings(
    SecretsSettings Secrets,
    AuthSettings Auth,
    LanguageSettings Languages,
    bool SeedDemoRoster)
{
    public static HotlineSettings Read(IConfiguration configuration, IHostEnvironment environment)
    {
        var reader = new SettingReader(configuration);

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
            secrets, auth, LanguageSettings.Read(configuration), reader.Bool("Demo:SeedRoster", false));
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

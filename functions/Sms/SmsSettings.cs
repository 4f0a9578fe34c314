using Hotline.Functions.Configuration;
using Hotline.Privacy;
using Hotline.Secrets;

namespace Hotline.Functions.Sms;

/// <summary>
/// SMS settings. <c>Hotline__PublicBaseUrl</c> is the address Twilio calls (webhook signatures are computed over it,
/// not over the loopback address the handler sees behind the Functions host). <c>Sms__Numbers</c> maps hotline
/// numbers to a language (<c>+40312345678=ro;+380441234567=uk</c>); any other number is a multilingual general number.
/// </summary>
public sealed record SmsSettings(Uri? PublicBaseUrl, IReadOnlyDictionary<string, string> NumberLanguages, string EmergencyNumber)
{
    public static SmsSettings Read(IConfiguration configuration, IHostEnvironment environment, LanguageSettings languages)
    {
        var reader = new SettingReader(configuration);
        Uri? publicBase = null;
        if (reader.String("Hotline:PublicBaseUrl") is { } value)
        {
            publicBase = Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || environment.IsDevelopment())
                ? uri
                : throw new StartupSettingException("Setting 'Hotline__PublicBaseUrl' is malformed: expected the absolute https address Twilio calls.");
        }
        else if (!environment.IsDevelopment())
        {
            throw new StartupSettingException(
                "Missing required setting 'Hotline__PublicBaseUrl': the public https address of the app, as configured in Twilio.");
        }

        var numbers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in (reader.String("Sms:Numbers") ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split('=', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || !languages.Supported.Contains(parts[1].ToLowerInvariant()))
            {
                throw new StartupSettingException(
                    $"Setting 'Sms__Numbers' is malformed: '{entry}' should be <number>=<language>, the language one of {string.Join(",", languages.Supported)}.");
            }

            numbers[PhoneNumberNormalizer.Normalize(parts[0])] = parts[1].ToLowerInvariant();
        }

        return new SmsSettings(publicBase, numbers, reader.String("Hotline:EmergencyNumber") ?? "112");
    }
}

/// <summary>The Twilio credentials, from the secret store (locally overridable by <c>Twilio__AccountSid</c> / <c>Twilio__AuthToken</c>).</summary>
public static class TwilioSecrets
{
    // Generated locally so the local simulator can sign webhooks; in Azure the administrator stores Twilio's values.
    public static readonly SecretDefinition AuthToken = new("Twilio-AuthToken", "Twilio:AuthToken", GeneratedBytes: 24);
    public static readonly SecretDefinition AccountSid = new("Twilio-AccountSid", "Twilio:AccountSid");
}

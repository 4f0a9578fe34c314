using Twilio.Security;

namespace Hotline.Twilio;

/// <summary>
/// Checks Twilio's <c>X-Twilio-Signature</c> with the SDK's <see cref="RequestValidator"/>: HMAC-SHA1, keyed with the
/// account's auth token, over the full URL Twilio requested followed by the form parameters sorted by name, compared
/// in constant time, also against the URL with its port removed or the scheme's default port added (Twilio's own
/// backend is not consistent about ports). The URL must be the public one Twilio called: behind Azure Functions the
/// app sees a loopback URL.
/// </summary>
public static class TwilioWebhookSignature
{
    public const string HeaderName = "X-Twilio-Signature";

    public static bool IsValid(
        string? signature, string url, IEnumerable<KeyValuePair<string, string>> formParameters, string authToken)
    {
        // The SDK throws on an empty signature or a URL it cannot parse; both are simply not a valid signature.
        if (string.IsNullOrEmpty(signature) || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return false;
        }

        var validator = new RequestValidator(authToken);
        var values = SignedValues(formParameters);
        return validator.Validate(url, values, signature)
               || (WithoutExplicitDefaultPort(uri, url) is { } bare && validator.Validate(bare, values, signature));
    }

    /// <summary>
    /// The URL without a default port written out (<c>https://host:443/...</c> → <c>https://host/...</c>), or null.
    /// The SDK takes such a URL as having no port, so it tries it with the port added but never without.
    /// </summary>
    private static string? WithoutExplicitDefaultPort(Uri uri, string url)
    {
        if (!uri.IsDefaultPort)
        {
            return null;
        }

        var port = ":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var authorityEnd = url.IndexOfAny(['/', '?', '#'], url.IndexOf("://", StringComparison.Ordinal) + 3);
        var upToPath = authorityEnd < 0 ? url : url[..authorityEnd];
        return upToPath.EndsWith(port, StringComparison.Ordinal) ? upToPath[..^port.Length] + url[upToPath.Length..] : null;
    }

    /// <summary>
    /// The SDK takes one value per name and appends each name followed by its value. Twilio signs a repeated name
    /// once per value, in the order sent (name, value, name, value): joining a name's later values onto its first with
    /// the name in between gives the SDK exactly those characters. (Its NameValueCollection overload would join them
    /// with commas, which is not what Twilio signs.)
    /// </summary>
    internal static Dictionary<string, string> SignedValues(IEnumerable<KeyValuePair<string, string>> formParameters)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in formParameters)
        {
            values[name] = values.TryGetValue(name, out var earlier) ? earlier + name + value : value;
        }

        return values;
    }
}

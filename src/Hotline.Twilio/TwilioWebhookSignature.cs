using System.Security.Cryptography;
using System.Text;

namespace Hotline.Twilio;

/// <summary>
/// Twilio's <c>X-Twilio-Signature</c>: base64 HMAC-SHA1, keyed with the account's auth token, over the full URL Twilio
/// requested followed by every form parameter name and value, sorted by name (ordinal). Twilio's own backend is not
/// consistent about ports, so a signature also matches the URL with its port removed, or with the scheme's default
/// port added. The URL must be the public one Twilio called (behind Azure Functions the app sees a loopback URL).
/// </summary>
public static class TwilioWebhookSignature
{
    public const string HeaderName = "X-Twilio-Signature";

    public static string Compute(string url, IEnumerable<KeyValuePair<string, string>> formParameters, string authToken)
    {
        var data = new StringBuilder(url);
        foreach (var (name, value) in formParameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data.Append(name).Append(value);
        }

        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString()));
        return Convert.ToBase64String(mac);
    }

    /// <summary>Checks <paramref name="signature"/> in constant time against the URL and its port variants.</summary>
    public static bool IsValid(
        string? signature, string url, IEnumerable<KeyValuePair<string, string>> formParameters, string authToken)
    {
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }

        var parameters = formParameters.ToList();
        var expected = Encoding.UTF8.GetBytes(signature);
        var valid = false;
        foreach (var candidate in UrlVariants(url))
        {
            var actual = Encoding.UTF8.GetBytes(Compute(candidate, parameters, authToken));
            // Evaluate every variant so the time taken does not depend on which one matched.
            valid |= CryptographicOperations.FixedTimeEquals(actual, expected);
        }

        return valid;
    }

    internal static IEnumerable<string> UrlVariants(string url)
    {
        yield return url;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            yield break;
        }

        var authorityStart = url.IndexOf("://", StringComparison.Ordinal) + 3;
        var pathStart = url.IndexOfAny(['/', '?', '#'], authorityStart);
        var authority = pathStart < 0 ? url[authorityStart..] : url[authorityStart..pathStart];
        var rest = pathStart < 0 ? string.Empty : url[pathStart..];
        var prefix = url[..authorityStart];

        var colon = authority.LastIndexOf(':');
        var hasPort = colon > authority.LastIndexOf(']');
        if (hasPort)
        {
            yield return prefix + authority[..colon] + rest;
        }
        else
        {
            var defaultPort = uri.Scheme == Uri.UriSchemeHttps ? 443 : 80;
            yield return $"{prefix}{authority}:{defaultPort}{rest}";
        }
    }
}

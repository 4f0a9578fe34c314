using System.Security.Cryptography;
using System.Text;

namespace Hotline.Functions.Escalations;

/// <summary>
/// Signing and checking webhooks the Standard Webhooks way: headers <c>webhook-id</c>, <c>webhook-timestamp</c> (Unix
/// seconds) and <c>webhook-signature</c> (<c>v1,</c> + base64 HMAC-SHA256 over <c>id.timestamp.body</c>, several
/// space-separated signatures allowed), with a secret written <c>whsec_</c> + base64.
/// </summary>
public static class StandardWebhooks
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    public static string Sign(string secret, string id, long timestamp, string body) =>
        "v1," + Convert.ToBase64String(HMACSHA256.HashData(KeyOf(secret), Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));

    /// <summary>Whether one of the signatures is right and the timestamp within <see cref="Tolerance"/> of now.</summary>
    public static bool IsValid(string secret, string? id, string? timestamp, string? signatures, string body, DateTimeOffset now)
    {
        var nowSeconds = now.ToUnixTimeSeconds();
        if (string.IsNullOrEmpty(id) || !long.TryParse(timestamp, out var seconds) || string.IsNullOrEmpty(signatures)
            || Math.Abs(nowSeconds - (double)seconds) > Tolerance.TotalSeconds)
        {
            return false;
        }

        byte[] expected;
        try
        {
            expected = Encoding.ASCII.GetBytes(Sign(secret, id, seconds, body));
        }
        catch (FormatException)
        {
            return false; // a malformed secret signs nothing
        }

        return signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), expected));
    }

    private static byte[] KeyOf(string secret) =>
        Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret);
}

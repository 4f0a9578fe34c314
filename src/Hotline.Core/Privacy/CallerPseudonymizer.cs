using System.Security.Cryptography;
using System.Text;
using Hotline.Secrets;

namespace Hotline.Privacy;

/// <summary>
/// Turns a caller's phone number into a keyed pseudonym (HMAC-SHA256 with a secret key): the same phone always gives
/// the same pseudonym, so repeat contacts are counted and abusers blocked, but without the key nobody can go back
/// from the pseudonym to the number or test a guessed number. Staff only ever see the pseudonym.
/// Rotating the key starts every caller afresh (repeat counts and blocks no longer match), so rotate it rarely.
/// </summary>
public sealed class CallerPseudonymizer(ISecretStore secrets)
{
    public static readonly SecretDefinition KeySecret = new("CallerPseudonymKey", GeneratedBytes: 32);

    public ValueTask<string> PseudonymOfAsync(string phoneNumber, CancellationToken cancellationToken = default) =>
        PseudonymOfInputAsync(PhoneNumberNormalizer.Normalize(phoneNumber), cancellationToken);

    /// <summary>
    /// The pseudonym of an anonymous chat session, from its random token: the same token always gives the same
    /// pseudonym, and it can never equal a phone number's (the input is kept apart by a prefix).
    /// </summary>
    public ValueTask<string> PseudonymOfSessionAsync(string sessionToken, CancellationToken cancellationToken = default) =>
        PseudonymOfInputAsync("chat-session:" + sessionToken, cancellationToken);

    /// <summary>
    /// The pseudonym of a chat client's network address, so a block can hold against a new session from the same
    /// place without the address itself being stored.
    /// </summary>
    public ValueTask<string> PseudonymOfClientAddressAsync(string address, CancellationToken cancellationToken = default) =>
        PseudonymOfInputAsync("chat-address:" + address, cancellationToken);

    private async ValueTask<string> PseudonymOfInputAsync(string input, CancellationToken cancellationToken)
    {
        var key = Convert.FromBase64String(await secrets.GetAsync(KeySecret.Name, cancellationToken));
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(input));
        // 120 bits, lower-case base32: short enough to read out, far too long to collide.
        return "p-" + Base32.Encode(mac.AsSpan(0, 15)).ToLowerInvariant();
    }

    /// <summary>Whether <paramref name="value"/> has the shape of a pseudonym (for checking input, not identity).</summary>
    public static bool IsPseudonym(string value) =>
        value.Length == 26 && value.StartsWith("p-", StringComparison.Ordinal) && value[2..].All(c => c is (>= 'a' and <= 'z') or (>= '2' and <= '7'));
}

internal static class Base32
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var result = new StringBuilder((data.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                result.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            result.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }

        return result.ToString();
    }
}

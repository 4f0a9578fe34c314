using System.Buffers.Text;
using System.Security.Cryptography;
using Hotline.Secrets;

namespace Hotline.Functions.Chat;

/// <summary>
/// Issues and checks chat session tokens: 16 random bytes and an HMAC over them with a key from the secret store.
/// Only sessions this hotline started are accepted, so inventing tokens cannot get round the limit on new sessions
/// per address. The token itself is never stored; the hotline knows the session only by its pseudonym.
/// </summary>
public sealed class ChatSessions(ISecretStore secrets)
{
    public static readonly SecretDefinition KeySecret = new("ChatSessionKey", GeneratedBytes: 32);
    private const int RandomBytes = 16;
    private const int MacBytes = 16;

    public async ValueTask<string> IssueAsync(CancellationToken cancellationToken = default)
    {
        var token = new byte[RandomBytes + MacBytes];
        RandomNumberGenerator.Fill(token.AsSpan(0, RandomBytes));
        (await MacAsync(token.AsMemory(0, RandomBytes), cancellationToken)).AsSpan(0, MacBytes).CopyTo(token.AsSpan(RandomBytes));
        return Base64Url.EncodeToString(token);
    }

    /// <summary>The token when it is one this hotline issued; otherwise null.</summary>
    public async ValueTask<string?> VerifyAsync(string? token, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(token) || token.Length != 43 || !Base64Url.IsValid(token))
        {
            return null;
        }

        var bytes = Base64Url.DecodeFromChars(token);
        if (bytes.Length != RandomBytes + MacBytes)
        {
            return null;
        }

        var expected = await MacAsync(bytes.AsMemory(0, RandomBytes), cancellationToken);
        return CryptographicOperations.FixedTimeEquals(expected.AsSpan(0, MacBytes), bytes.AsSpan(RandomBytes)) ? token : null;
    }

    private async ValueTask<byte[]> MacAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var key = Convert.FromBase64String(await secrets.GetAsync(KeySecret.Name, cancellationToken));
        return HMACSHA256.HashData(key, data.Span);
    }
}

using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using Hotline.Secrets;

namespace Hotline.Functions.Chat;

/// <summary>
/// Issues and checks chat session tokens: the time of issue, 16 random bytes and an HMAC over both with a key from
/// the secret store. Only sessions this hotline started are accepted, so inventing tokens cannot get round the limit
/// on new sessions per address, and a token is accepted only for <see cref="ChatSettings.SessionLifetime"/>, so one
/// left in a browser's memory or a proxy's log does not open the chat for ever. The token itself is never stored;
/// the hotline knows the session only by its pseudonym.
/// </summary>
public sealed class ChatSessions(ISecretStore secrets, ChatSettings settings, TimeProvider time)
{
    public static readonly SecretDefinition KeySecret = new("ChatSessionKey", GeneratedBytes: 32);
    private const int TimeBytes = 8;
    private const int RandomBytes = 16;
    private const int MacBytes = 16;
    private const int SignedBytes = TimeBytes + RandomBytes;
    private static readonly int TokenLength = Base64Url.GetEncodedLength(SignedBytes + MacBytes);

    public async ValueTask<string> IssueAsync(CancellationToken cancellationToken = default)
    {
        var token = new byte[SignedBytes + MacBytes];
        BinaryPrimitives.WriteInt64BigEndian(token, time.GetUtcNow().ToUnixTimeSeconds());
        RandomNumberGenerator.Fill(token.AsSpan(TimeBytes, RandomBytes));
        (await MacAsync(token.AsMemory(0, SignedBytes), cancellationToken)).AsSpan(0, MacBytes).CopyTo(token.AsSpan(SignedBytes));
        return Base64Url.EncodeToString(token);
    }

    /// <summary>Whether the token is one this hotline issued, and until when it is accepted.</summary>
    public async ValueTask<ChatSessionCheck> CheckAsync(string? token, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(token) || token.Length != TokenLength || !Base64Url.IsValid(token))
        {
            return ChatSessionCheck.Invalid;
        }

        var bytes = Base64Url.DecodeFromChars(token);
        if (bytes.Length != SignedBytes + MacBytes)
        {
            return ChatSessionCheck.Invalid;
        }

        var expected = await MacAsync(bytes.AsMemory(0, SignedBytes), cancellationToken);
        if (!CryptographicOperations.FixedTimeEquals(expected.AsSpan(0, MacBytes), bytes.AsSpan(SignedBytes)))
        {
            return ChatSessionCheck.Invalid;
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(bytes)) + settings.SessionLifetime;
        return new ChatSessionCheck(token, expires, expires <= time.GetUtcNow());
    }

    private async ValueTask<byte[]> MacAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var key = Convert.FromBase64String(await secrets.GetAsync(KeySecret.Name, cancellationToken));
        return HMACSHA256.HashData(key, data.Span);
    }
}

/// <param name="Token">The token, when this hotline issued it; otherwise null.</param>
/// <param name="Expires">When the token stops being accepted.</param>
/// <param name="Expired">The token was issued here, but its time is up.</param>
public sealed record ChatSessionCheck(string? Token, DateTimeOffset Expires, bool Expired)
{
    public static readonly ChatSessionCheck Invalid = new(null, default, false);
}

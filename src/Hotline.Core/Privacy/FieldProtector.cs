using System.Security.Cryptography;
using System.Text;
using Hotline.Secrets;

namespace Hotline.Privacy;

/// <summary>
/// Encrypts one field with AES-256-GCM under a key from the secret store, bound to a context (the conversation id,
/// or conversation and message id) given as associated data: a stolen table row reveals nothing, and a value moved
/// to another row does not decrypt.
/// </summary>
public abstract class FieldProtector(ISecretStore secrets, SecretDefinition keySecret)
{
    private const string FormatPrefix = "v1.";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public async ValueTask<string> ProtectAsync(string value, string context, CancellationToken cancellationToken = default)
    {
        using var aes = new AesGcm(await KeyAsync(cancellationToken), TagSize);
        var plaintext = Encoding.UTF8.GetBytes(value);
        var sealedBytes = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize, plaintext.Length),
            sealedBytes.AsSpan(NonceSize + plaintext.Length), Encoding.UTF8.GetBytes(context));
        return FormatPrefix + Convert.ToBase64String(sealedBytes);
    }

    /// <exception cref="CryptographicException">The value was altered, belongs to another context, or the key changed.</exception>
    public async ValueTask<string> UnprotectAsync(string protectedValue, string context, CancellationToken cancellationToken = default)
    {
        if (!protectedValue.StartsWith(FormatPrefix, StringComparison.Ordinal))
        {
            throw new CryptographicException("Unknown protected-field format.");
        }

        var sealedBytes = Convert.FromBase64String(protectedValue[FormatPrefix.Length..]);
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("Protected field is truncated.");
        }

        using var aes = new AesGcm(await KeyAsync(cancellationToken), TagSize);
        var length = sealedBytes.Length - NonceSize - TagSize;
        var plaintext = new byte[length];
        aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, length),
            sealedBytes.AsSpan(NonceSize + length), plaintext, Encoding.UTF8.GetBytes(context));
        return Encoding.UTF8.GetString(plaintext);
    }

    private async ValueTask<byte[]> KeyAsync(CancellationToken cancellationToken)
    {
        var key = Convert.FromBase64String(await secrets.GetAsync(keySecret.Name, cancellationToken));
        return key.Length == 32
            ? key
            : throw new CryptographicException($"The secret '{keySecret.Name}' must be 32 bytes (base64).");
    }
}

/// <summary>
/// The one copy of a caller's number the hotline keeps: the reply address of an open conversation, deleted when the
/// conversation closes (plus a grace period).
/// </summary>
public sealed class ReplyAddressProtector(ISecretStore secrets) : FieldProtector(secrets, KeySecret)
{
    public static readonly SecretDefinition KeySecret = new("ReplyAddressKey", GeneratedBytes: 32);
}

/// <summary>Message bodies at rest: readable through the API by the people allowed to, not from a table dump.</summary>
public sealed class MessageTextProtector(ISecretStore secrets) : FieldProtector(secrets, KeySecret)
{
    public static readonly SecretDefinition KeySecret = new("MessageTextKey", GeneratedBytes: 32);
}

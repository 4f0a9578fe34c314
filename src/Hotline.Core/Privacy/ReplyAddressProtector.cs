using System.Security.Cryptography;
using System.Text;
using Hotline.Secrets;

namespace Hotline.Privacy;

/// <summary>
/// Encrypts the one copy of a caller's number that the hotline keeps: the reply address of an open conversation.
/// AES-256-GCM with a key from the secret store and the conversation id as associated data, so a stolen table row
/// reveals nothing and a ciphertext moved to another conversation does not decrypt. The value is deleted when the
/// conversation closes (plus a grace period).
/// </summary>
public sealed class ReplyAddressProtector(ISecretStore secrets)
{
    public static readonly SecretDefinition KeySecret = new("ReplyAddressKey", GeneratedBytes: 32);

    private const string FormatPrefix = "v1.";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public async ValueTask<string> ProtectAsync(string address, string conversationId, CancellationToken cancellationToken = default)
    {
        using var aes = new AesGcm(await KeyAsync(cancellationToken), TagSize);
        var plaintext = Encoding.UTF8.GetBytes(address);
        var sealedBytes = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize, plaintext.Length),
            sealedBytes.AsSpan(NonceSize + plaintext.Length), Encoding.UTF8.GetBytes(conversationId));
        return FormatPrefix + Convert.ToBase64String(sealedBytes);
    }

    /// <exception cref="CryptographicException">The value was altered, belongs to another conversation, or the key changed.</exception>
    public async ValueTask<string> UnprotectAsync(string protectedAddress, string conversationId, CancellationToken cancellationToken = default)
    {
        if (!protectedAddress.StartsWith(FormatPrefix, StringComparison.Ordinal))
        {
            throw new CryptographicException("Unknown reply-address format.");
        }

        var sealedBytes = Convert.FromBase64String(protectedAddress[FormatPrefix.Length..]);
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("Reply address is truncated.");
        }

        using var aes = new AesGcm(await KeyAsync(cancellationToken), TagSize);
        var length = sealedBytes.Length - NonceSize - TagSize;
        var plaintext = new byte[length];
        aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, length),
            sealedBytes.AsSpan(NonceSize + length), plaintext, Encoding.UTF8.GetBytes(conversationId));
        return Encoding.UTF8.GetString(plaintext);
    }

    private async ValueTask<byte[]> KeyAsync(CancellationToken cancellationToken)
    {
        var key = Convert.FromBase64String(await secrets.GetAsync(KeySecret.Name, cancellationToken));
        return key.Length == 32
            ? key
            : throw new CryptographicException($"The secret '{KeySecret.Name}' must be 32 bytes (base64).");
    }
}

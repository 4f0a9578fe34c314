using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Hotline.Callbacks;
using Microsoft.Extensions.Logging;

namespace Hotline.Secrets;

/// <summary>
/// The secrets of callback requests in a Key Vault of their own, one secret per request (<c>callback-&lt;id&gt;</c>,
/// a small JSON value). Destroying one deletes it, waits until the deleted secret exists, then purges it, so the
/// number cannot be recovered. Nothing is cached: every read goes to the vault, so a destroyed secret is gone at once.
/// Only request ids are logged, never the number or the code word.
/// </summary>
public sealed partial class KeyVaultCallbackSecrets(
    SecretClient client,
    string vaultSetting,
    ILogger<KeyVaultCallbackSecrets> logger,
    CallbackSecretsTiming? timing = null) : ICallbackSecrets
{
    private readonly CallbackSecretsTiming _timing = timing ?? CallbackSecretsTiming.Default;

    public async Task StoreAsync(string requestId, CallbackSecrets secrets, CancellationToken cancellationToken = default)
    {
        var secret = new KeyVaultSecret(SecretName(requestId), CallbackSecretsJson.Serialize(secrets));
        secret.Properties.ContentType = "application/json";
        await client.SetSecretAsync(secret, cancellationToken);
        LogStored(requestId);
    }

    public async Task<CallbackSecrets?> ReadAsync(string requestId, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await client.GetSecretAsync(SecretName(requestId), cancellationToken: cancellationToken);
            return CallbackSecretsJson.Deserialize(response.Value.Value);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task DestroyAsync(string requestId, CancellationToken cancellationToken = default)
    {
        var name = SecretName(requestId);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_timing.GiveUpAfter);
        var token = deadline.Token;
        try
        {
            // 404: not live (never stored, or deleted before); a deleted copy may still wait to be purged below.
            var deletion = await RetryOnConflictAsync(async () =>
            {
                try
                {
                    return await client.StartDeleteSecretAsync(name, token);
                }
                catch (RequestFailedException e) when (e.Status == 404)
                {
                    return null;
                }
            }, token);

            if (deletion is not null)
            {
                // Polls the deleted secret until it exists: purging before that is refused.
                await deletion.WaitForCompletionAsync(_timing.PollInterval, token);
            }

            // 404: already purged, or there was nothing to purge. 409: the deletion is still settling.
            await RetryOnConflictAsync(async () =>
            {
                try
                {
                    await client.PurgeDeletedSecretAsync(name, token);
                }
                catch (RequestFailedException e) when (e.Status == 404)
                {
                }

                return true;
            }, token);
        }
        catch (RequestFailedException e) when (e.Status == 403)
        {
            throw new CallbackSecretsException(
                $"Key Vault refused to delete and purge the secrets of callback request {requestId} ({e.ErrorCode ?? "403"}). " +
                $"The vault set in '{vaultSetting}' must have purge protection off, and the app's identity needs " +
                "'Key Vault Secrets Officer' on it (purging is Microsoft.KeyVault/vaults/secrets/purge/action).", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CallbackSecretsException(
                $"The secrets of callback request {requestId} were not purged within {_timing.GiveUpAfter} " +
                $"(vault '{vaultSetting}'); destroying them again finishes the job.", e);
        }

        LogDestroyed(requestId);
    }

    /// <summary>The secret's name: Key Vault accepts 1–127 of 0-9, a-z, A-Z and '-'.</summary>
    public static string SecretName(string requestId)
    {
        return ValidRequestId().IsMatch(requestId)
            ? "callback-" + requestId
            : throw new ArgumentException(
                "A callback request id must be letters, digits and '-' (at most 118), to name its secret.", nameof(requestId));
    }

    private async Task<T> RetryOnConflictAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await call();
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                // A deletion still in progress; the deadline ends the waiting.
                await Task.Delay(_timing.PollInterval, cancellationToken);
            }
        }
    }

    [GeneratedRegex("^[0-9a-zA-Z-]{1,118}$")]
    private static partial Regex ValidRequestId();

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored the secrets of callback request {RequestId}")]
    private partial void LogStored(string requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Destroyed (deleted and purged) the secrets of callback request {RequestId}")]
    private partial void LogDestroyed(string requestId);
}

/// <summary>How often a deletion in progress is looked at, and how long destroying waits for it at most.</summary>
public sealed record CallbackSecretsTiming(TimeSpan PollInterval, TimeSpan GiveUpAfter)
{
    public static CallbackSecretsTiming Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
}

/// <summary>The secrets of a callback request could not be destroyed beyond recovery.</summary>
public sealed class CallbackSecretsException(string message, Exception? inner = null) : Exception(message, inner);

internal static class CallbackSecretsJson
{
    // Relaxed escaping keeps the '+' of a number as it is (the value is never put in HTML).
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize(CallbackSecrets secrets) => JsonSerializer.Serialize(secrets, Options);

    public static CallbackSecrets Deserialize(string json) =>
        JsonSerializer.Deserialize<CallbackSecrets>(json, Options)
        ?? throw new JsonException("A callback secret holds no value.");
}

using System.Collections.Concurrent;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging;

namespace Hotline.Secrets;

/// <summary>
/// Secrets from Azure Key Vault, read with the app's managed identity. Values are cached in memory for
/// <c>refreshInterval</c> so a busy hotline does not call the vault per message; after the interval the latest
/// version is fetched, which is how a rotated secret is picked up without a restart. If the vault cannot be reached
/// and a cached value exists, the cached value keeps the hotline working and a warning is logged.
/// </summary>
public sealed partial class KeyVaultSecretStore(
    SecretClient client,
    TimeSpan refreshInterval,
    TimeProvider timeProvider,
    ILogger<KeyVaultSecretStore> logger) : ISecretStore
{
    private readonly ConcurrentDictionary<string, CachedSecret> _cache = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _fetchLocks = new(StringComparer.OrdinalIgnoreCase);

    public async ValueTask<string> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        if (TryFresh(name, out var value))
        {
            return value;
        }

        // One fetch per name at a time: a burst of messages after expiry makes one vault call, not hundreds.
        var gate = _fetchLocks.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (TryFresh(name, out value))
            {
                return value;
            }

            return await FetchAsync(name, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task ProbeAsync(CancellationToken cancellationToken = default)
    {
        await foreach (var _ in client.GetPropertiesOfSecretsAsync(cancellationToken).AsPages(pageSizeHint: 1))
        {
            break;
        }
    }

    private bool TryFresh(string name, out string value)
    {
        if (_cache.TryGetValue(name, out var cached) && timeProvider.GetUtcNow() - cached.FetchedAt < refreshInterval)
        {
            value = cached.Value;
            return true;
        }

        value = string.Empty;
        return false;
    }

    private async Task<string> FetchAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.GetSecretAsync(name, cancellationToken: cancellationToken);
            var value = response.Value.Value;
            _cache[name] = new CachedSecret(value, timeProvider.GetUtcNow());
            return value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            _cache.TryRemove(name, out _);
            throw new SecretNotFoundException(name);
        }
        catch (Exception e) when (e is RequestFailedException or Azure.Identity.AuthenticationFailedException
                                   && _cache.TryGetValue(name, out _))
        {
            var stale = _cache[name];
            LogServedStale(name, (e as RequestFailedException)?.Status ?? 0);
            return stale.Value;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Key Vault did not answer for secret {SecretName} (status {Status}); using the cached value")]
    private partial void LogServedStale(string secretName, int status);

    private sealed record CachedSecret(string Value, DateTimeOffset FetchedAt);
}

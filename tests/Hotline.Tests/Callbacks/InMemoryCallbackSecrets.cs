using System.Collections.Concurrent;
using Hotline.Callbacks;

namespace Hotline.Tests.Callbacks;

/// <summary>Callback secrets in memory, recording every destruction; can be made to fail the next destruction.</summary>
public sealed class InMemoryCallbackSecrets : ICallbackSecrets
{
    private readonly ConcurrentDictionary<string, CallbackSecrets> _secrets = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Destroyed { get; } = new();

    /// <summary>The requests whose secrets are held now.</summary>
    public IReadOnlyCollection<string> Stored => [.. _secrets.Keys];

    /// <summary>When set, the next destruction throws (a vault that does not answer) and destroys nothing.</summary>
    public bool FailNextDestroy { get; set; }

    public Task StoreAsync(string requestId, CallbackSecrets secrets, CancellationToken cancellationToken = default)
    {
        _secrets[requestId] = secrets;
        return Task.CompletedTask;
    }

    public Task<CallbackSecrets?> ReadAsync(string requestId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_secrets.GetValueOrDefault(requestId));

    public Task DestroyAsync(string requestId, CancellationToken cancellationToken = default)
    {
        if (FailNextDestroy)
        {
            FailNextDestroy = false;
            throw new InvalidOperationException("The secret store did not answer.");
        }

        _secrets.TryRemove(requestId, out _);
        Destroyed.Enqueue(requestId);
        return Task.CompletedTask;
    }
}

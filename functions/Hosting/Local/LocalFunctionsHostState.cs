using System.Collections.Concurrent;

namespace Hotline.Functions.Hosting.Local;

/// <summary>What the local host is doing right now: which queues it listens on and when each timer fires next.</summary>
public sealed class LocalFunctionsHostState
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _nextRuns = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string> _listeners = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyDictionary<string, DateTimeOffset> NextRuns => _nextRuns;

    /// <summary>Function name to the queue it listens on.</summary>
    public IReadOnlyDictionary<string, string> QueueListeners => _listeners;

    internal void SetNextRun(string functionName, DateTimeOffset next) => _nextRuns[functionName] = next;

    internal void SetListening(string functionName, string queueName) => _listeners[functionName] = queueName;
}

using System.Collections.Concurrent;
using System.Diagnostics;
using Azure.Core;
using Azure.Core.Pipeline;

// Shared by the load benchmarks (bench/SmsLoad, bench/VoiceLoad): each counts storage transactions in the worker.

/// <summary>
/// Counts every storage request (each retry too): one storage transaction each. Also adds up the time the worker
/// waited for them and counts them by kind (method and table or queue), to show where a request's time goes.
/// </summary>
internal sealed class TransactionCounter : HttpPipelinePolicy
{
    private long _count;
    private long _waitTicks;

    public long Count => Interlocked.Read(ref _count);

    /// <summary>The time spent in storage requests, added up over concurrent ones.</summary>
    public TimeSpan Waited => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _waitTicks));

    /// <summary>Requests by kind, e.g. "GET Callers" (the table prefix and keys left out).</summary>
    public ConcurrentDictionary<string, long> ByKind { get; } = new(StringComparer.Ordinal);

    /// <summary>Table and queue names start with this prefix; it is left out of <see cref="ByKind"/>.</summary>
    public string NamePrefix { get; set; } = "";

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var started = Begin(message);
        try
        {
            ProcessNext(message, pipeline);
        }
        finally
        {
            Interlocked.Add(ref _waitTicks, Stopwatch.GetTimestamp() - started);
        }
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var started = Begin(message);
        try
        {
            await ProcessNextAsync(message, pipeline);
        }
        finally
        {
            Interlocked.Add(ref _waitTicks, Stopwatch.GetTimestamp() - started);
        }
    }

    private long Begin(HttpMessage message)
    {
        Interlocked.Increment(ref _count);
        // /devstoreaccount1/<prefix>Name(PartitionKey=...)  or  /devstoreaccount1/<queue>/messages
        var segments = message.Request.Uri.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var name = segments.Length > 1 ? segments[1].Split('(')[0] : "";
        if (NamePrefix.Length > 0 && name.StartsWith(NamePrefix, StringComparison.OrdinalIgnoreCase))
        {
            name = name[NamePrefix.Length..];
        }

        ByKind.AddOrUpdate($"{message.Request.Method} {name}", 1, (_, n) => n + 1);
        return Stopwatch.GetTimestamp();
    }
}

using Azure.Core;
using Azure.Core.Pipeline;

// Shared by the load benchmarks (bench/SmsLoad, bench/VoiceLoad): each counts storage transactions in the worker.

/// <summary>Counts every storage request (each retry too): one storage transaction each.</summary>
internal sealed class TransactionCounter : HttpPipelinePolicy
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _count);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _count);
        return ProcessNextAsync(message, pipeline);
    }
}

using System.Collections.Concurrent;
using Grpc.Core;
using LocalFunctionsHost.Protocol;

namespace LocalFunctionsHost;

/// <summary>Channels waiting for their worker to connect, by worker id.</summary>
public sealed class WorkerChannelRegistry
{
    private readonly ConcurrentDictionary<string, WorkerChannel> _waiting = new(StringComparer.Ordinal);

    public void Expect(WorkerChannel channel) => _waiting[channel.WorkerId] = channel;

    public void Forget(WorkerChannel channel) => _waiting.TryRemove(channel.WorkerId, out _);

    internal bool TryClaim(string workerId, out WorkerChannel channel) => _waiting.TryRemove(workerId, out channel!);
}

/// <summary>The host's gRPC endpoint: a worker opens one event stream and introduces itself with StartStream.</summary>
internal sealed partial class FunctionRpcService(WorkerChannelRegistry registry, ILogger<FunctionRpcService> logger)
    : FunctionRpc.FunctionRpcBase
{
    public override async Task EventStream(
        IAsyncStreamReader<StreamingMessage> requestStream,
        IServerStreamWriter<StreamingMessage> responseStream,
        ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false)
            || requestStream.Current.StartStream is not { } start)
        {
            return;
        }

        if (!registry.TryClaim(start.WorkerId, out var channel))
        {
            LogUnknownWorker(logger, start.WorkerId);
            return;
        }

        await channel.RunAsync(requestStream, responseStream, context.CancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A worker with unknown id {WorkerId} connected; ignored")]
    private static partial void LogUnknownWorker(ILogger logger, string workerId);
}

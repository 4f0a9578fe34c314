using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using LocalFunctionsHost.Protocol;

namespace LocalFunctionsHost;

/// <summary>
/// The host's side of one worker's event stream: sends requests, pairs responses with them, and forwards the
/// worker's logs. The stream is attached when the worker connects and sends StartStream with its worker id.
/// </summary>
public sealed partial class WorkerChannel
{
    private readonly Channel<StreamingMessage> _outbound = Channel.CreateUnbounded<StreamingMessage>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closing = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StreamingMessage>> _pending = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggers;

    public WorkerChannel(string workerId, ILoggerFactory loggers)
    {
        WorkerId = workerId;
        _loggers = loggers;
        _logger = loggers.CreateLogger("LocalFunctionsHost.Worker");
    }

    public string WorkerId { get; }

    public Task Connected => _connected.Task;

    /// <summary>Completes when the stream has ended (the worker is gone or was told to stop).</summary>
    public Task Closed => _closed.Task;

    public IReadOnlyDictionary<string, string> Capabilities { get; private set; } = new Dictionary<string, string>();

    internal async Task RunAsync(
        IAsyncStreamReader<StreamingMessage> requests, IServerStreamWriter<StreamingMessage> responses, CancellationToken ct)
    {
        _connected.TrySetResult();
        // Ends when the worker closes the stream, the server stops, or the host closes this channel.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, _closing.Token);
        var writing = WriteAsync(responses, stop.Token);
        try
        {
            while (await requests.MoveNext(stop.Token).ConfigureAwait(false))
            {
                Dispatch(requests.Current);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or Grpc.Core.RpcException)
        {
            // The worker went away; pending requests fail below.
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            Close();
            await writing.ConfigureAwait(false);
        }
    }

    private async Task WriteAsync(IServerStreamWriter<StreamingMessage> responses, CancellationToken ct)
    {
        try
        {
            await foreach (var message in _outbound.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                await responses.WriteAsync(message, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException or Grpc.Core.RpcException)
        {
            // Stream over.
        }
    }

    internal void Close()
    {
        _outbound.Writer.TryComplete();
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // closed before
        }

        _connected.TrySetException(new WorkerUnavailableException("The worker stopped before it connected."));
        foreach (var key in _pending.Keys)
        {
            if (_pending.TryRemove(key, out var waiting))
            {
                waiting.TrySetException(new WorkerUnavailableException("The worker stopped."));
            }
        }

        _closed.TrySetResult();
    }

    public async Task<WorkerInitResponse> InitializeAsync(WorkerInitRequest request, CancellationToken ct)
    {
        var response = (await SendAsync("init", new StreamingMessage { WorkerInitRequest = request }, ct).ConfigureAwait(false))
            .WorkerInitResponse;
        if (response.Result?.Status == StatusResult.Types.Status.Failure)
        {
            throw new HostStartupException($"The worker failed to initialize: {response.Result.Exception?.Message}");
        }

        Capabilities = new Dictionary<string, string>(response.Capabilities);
        return response;
    }

    public async Task<IReadOnlyList<RpcFunctionMetadata>> GetFunctionMetadataAsync(string scriptRoot, CancellationToken ct)
    {
        var response = (await SendAsync(
            "metadata",
            new StreamingMessage { FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = scriptRoot } },
            ct).ConfigureAwait(false)).FunctionMetadataResponse;
        if (response.Result?.Status == StatusResult.Types.Status.Failure)
        {
            throw new HostStartupException($"The worker could not list its functions: {response.Result.Exception?.Message}");
        }

        return response.FunctionMetadataResults;
    }

    public async Task LoadAsync(FunctionLoadRequest request, CancellationToken ct)
    {
        var response = (await SendAsync(
            "load:" + request.FunctionId, new StreamingMessage { FunctionLoadRequest = request }, ct).ConfigureAwait(false))
            .FunctionLoadResponse;
        if (response.Result?.Status == StatusResult.Types.Status.Failure)
        {
            throw new HostStartupException(
                $"The worker could not load function {request.Metadata.Name}: {response.Result.Exception?.Message}");
        }
    }

    public async Task<InvocationResponse> InvokeAsync(InvocationRequest request, CancellationToken ct)
    {
        try
        {
            return (await SendAsync("invoke:" + request.InvocationId, new StreamingMessage { InvocationRequest = request }, ct)
                .ConfigureAwait(false)).InvocationResponse;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            _outbound.Writer.TryWrite(new StreamingMessage
            {
                InvocationCancel = new InvocationCancel { InvocationId = request.InvocationId },
            });
            throw;
        }
    }

    /// <summary>Asks the worker to stop; it has <paramref name="gracePeriod"/> before it is killed.</summary>
    public void Terminate(TimeSpan gracePeriod) =>
        _outbound.Writer.TryWrite(new StreamingMessage
        {
            WorkerTerminate = new WorkerTerminate { GracePeriod = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(gracePeriod) },
        });

    private async Task<StreamingMessage> SendAsync(string key, StreamingMessage message, CancellationToken ct)
    {
        var waiting = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.TryAdd(key, waiting))
        {
            throw new InvalidOperationException($"A request {key} is already waiting.");
        }

        if (_closed.Task.IsCompleted || !_outbound.Writer.TryWrite(message))
        {
            _pending.TryRemove(key, out _);
            throw new WorkerUnavailableException("The worker stopped.");
        }

        try
        {
            return await waiting.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(key, out _);
        }
    }

    private void Complete(string key, StreamingMessage message)
    {
        if (_pending.TryRemove(key, out var waiting))
        {
            waiting.TrySetResult(message);
        }
    }

    private void Dispatch(StreamingMessage message)
    {
        switch (message.ContentCase)
        {
            case StreamingMessage.ContentOneofCase.WorkerInitResponse:
                Complete("init", message);
                break;
            case StreamingMessage.ContentOneofCase.FunctionMetadataResponse:
                Complete("metadata", message);
                break;
            case StreamingMessage.ContentOneofCase.FunctionLoadResponse:
                Complete("load:" + message.FunctionLoadResponse.FunctionId, message);
                break;
            case StreamingMessage.ContentOneofCase.InvocationResponse:
                Complete("invoke:" + message.InvocationResponse.InvocationId, message);
                break;
            case StreamingMessage.ContentOneofCase.RpcLog:
                Log(message.RpcLog);
                break;
            default:
                LogIgnored(_logger, message.ContentCase.ToString());
                break;
        }
    }

    private void Log(RpcLog log)
    {
        var level = log.Level switch
        {
            RpcLog.Types.Level.Trace => LogLevel.Trace,
            RpcLog.Types.Level.Debug => LogLevel.Debug,
            RpcLog.Types.Level.Information => LogLevel.Information,
            RpcLog.Types.Level.Warning => LogLevel.Warning,
            RpcLog.Types.Level.Error => LogLevel.Error,
            RpcLog.Types.Level.Critical => LogLevel.Critical,
            _ => LogLevel.None,
        };
        if (level == LogLevel.None)
        {
            return;
        }

        // The worker names the category (Function.<name>.User for a function's own logs).
        var logger = _loggers.CreateLogger(string.IsNullOrEmpty(log.Category) ? "Worker" : log.Category);
        var exception = log.Exception is { } e ? new WorkerException(e.Type, e.Message, e.StackTrace) : null;
        logger.Log(level, default(EventId), exception, "{Message}", log.Message);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ignored a {Kind} message from the worker")]
    private static partial void LogIgnored(ILogger logger, string kind);
}

/// <summary>No worker can take the request now (starting, restarting or stopped).</summary>
public sealed class WorkerUnavailableException(string message) : Exception(message);

/// <summary>An exception raised in the worker, as it reported it.</summary>
public sealed class WorkerException(string type, string message, string stackTrace)
    : Exception($"{type}: {message}")
{
    public string WorkerType { get; } = type;

    public override string StackTrace { get; } = stackTrace;
}

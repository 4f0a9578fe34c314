using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LocalFunctionsHost.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Yarp.ReverseProxy.Forwarder;

namespace LocalFunctionsHost;

/// <summary>One started worker, connected and with its functions loaded.</summary>
public sealed record WorkerSession(
    int Generation,
    IWorkerInstance Instance,
    WorkerChannel Channel,
    IReadOnlyList<FunctionDefinition> Functions,
    Uri? HttpUri,
    TimeSpan ConnectedAfter,
    TimeSpan LoadedAfter,
    TimeSpan ReadyAfter)
{
    public FunctionDefinition Function(string name) =>
        Functions.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new WorkerUnavailableException($"The worker no longer has function {name}.");
}

/// <summary>
/// A local stand-in for the Azure Functions host, for HTTP, queue and timer triggers: it launches the isolated worker,
/// speaks the worker's gRPC protocol, serves HTTP functions at their routes (proxying each request to the worker's
/// own HTTP endpoint), drives queue and timer triggers, and restarts the worker when it stops.
/// </summary>
public sealed partial class FunctionsHost : IAsyncDisposable
{
    private const int GrpcMaxMessageLength = int.MaxValue;
    private readonly FunctionsHostOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly WorkerChannelRegistry _registry = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _background = [];
    private readonly HttpMessageInvoker _proxyClient;
    private readonly Dictionary<string, string> _queueListeners = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _timerSchedules = new(StringComparer.OrdinalIgnoreCase);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _nextRuns = new(StringComparer.OrdinalIgnoreCase);
    private WebApplication? _grpcServer;
    private WebApplication? _httpServer;
    private Uri _grpcUri = null!;
    private volatile TaskCompletionSource<WorkerSession> _session = NewSessionSource();
    private int _generation;

    private FunctionsHost(FunctionsHostOptions options)
    {
        _options = options;
        _loggers = options.LoggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggers.CreateLogger("LocalFunctionsHost");
        _proxyClient = new HttpMessageInvoker(new ConnectRetryHandler(
            new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, UseProxy = false, ActivityHeadersPropagator = null },
            _logger));
        ScriptRoot = Path.GetFullPath(options.ScriptRoot);
        HostJson = HostJson.Load(ScriptRoot);
        Configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddInMemoryCollection(options.Settings)
            .Build();
    }

    public string ScriptRoot { get; }

    public HostJson HostJson { get; }

    /// <summary>App settings as the host resolves them (environment, overridden by the given settings).</summary>
    public IConfiguration Configuration { get; }

    /// <summary>Where HTTP functions are served, e.g. http://127.0.0.1:7071/.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The functions of the first worker, with their triggers.</summary>
    public IReadOnlyList<FunctionDefinition> Functions { get; private set; } = [];

    /// <summary>Queue-triggered function name → the queue it listens on.</summary>
    public IReadOnlyDictionary<string, string> QueueListeners => _queueListeners;

    /// <summary>Timer-triggered function name → its schedule, settings resolved.</summary>
    public IReadOnlyDictionary<string, string> TimerSchedules => _timerSchedules;

    /// <summary>Timer-triggered function name → when it fires next (set once its scheduler waits for that time).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> NextTimerRuns => _nextRuns;

    /// <summary>How many workers have been started (1 + restarts).</summary>
    public int WorkerStarts => Volatile.Read(ref _generation);

    /// <summary>The current worker; the task completes when one is ready (at once if it is).</summary>
    public Task<WorkerSession> CurrentWorker => _session.Task;

    /// <summary>Starts the host: fails with <see cref="HostStartupException"/> (one line naming the problem).</summary>
    public static async Task<FunctionsHost> StartAsync(FunctionsHostOptions options, CancellationToken ct = default)
    {
        var host = new FunctionsHost(options);
        try
        {
            await host.StartCoreAsync(ct).ConfigureAwait(false);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken ct)
    {
        await StartGrpcServerAsync(ct).ConfigureAwait(false);
        var first = await LaunchAsync(ct).ConfigureAwait(false);
        Functions = first.Functions;
        _session.TrySetResult(first); // from here on, stopping terminates it
        var triggers = TriggerPlan.Create(Functions, Configuration);

        await StartHttpServerAsync(triggers.Http, ct).ConfigureAwait(false);
        foreach (var (function, queue) in triggers.Queues)
        {
            var listener = new QueueTriggerListener(this, function, queue, HostJson.Queues, _options.TimeProvider, _logger);
            _queueListeners[function.Name] = queue.QueueName;
            _background.Add(Task.Run(() => listener.RunAsync(_stopping.Token), CancellationToken.None));
        }

        foreach (var (function, schedule) in triggers.Timers)
        {
            _timerSchedules[function.Name] = schedule.ToString();
            var scheduler = new TimerTriggerScheduler(this, function, schedule, _options.TimeProvider, _logger,
                next => _nextRuns[function.Name] = next);
            _background.Add(Task.Run(() => scheduler.RunAsync(_stopping.Token), CancellationToken.None));
        }

        _background.Add(Task.Run(() => SuperviseAsync(first, _stopping.Token), CancellationToken.None));
        LogStarted(_logger, Functions.Count, BaseAddress);
    }

    private async Task StartGrpcServerAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggers);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddSingleton(_registry);
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = null;
            o.MaxSendMessageSize = null;
        });
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        _grpcServer = builder.Build();
        _grpcServer.MapGrpcService<FunctionRpcService>();
        await _grpcServer.StartAsync(ct).ConfigureAwait(false);
        _grpcUri = new Uri(_grpcServer.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.Single().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal) + "/");
    }

    /// <summary>Starts a worker and takes it through StartStream, init, metadata and loading every function.</summary>
    private async Task<WorkerSession> LaunchAsync(CancellationToken ct)
    {
        var generation = Interlocked.Increment(ref _generation);
        var workerId = Guid.NewGuid().ToString();
        var channel = new WorkerChannel(workerId, _loggers);
        _registry.Expect(channel);
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in _options.Settings)
        {
            environment[key] = value;
        }

        environment["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated";
        environment["FUNCTIONS_APPLICATION_DIRECTORY"] = ScriptRoot;
        environment["AzureWebJobsScriptRoot"] = ScriptRoot;
        var start = new WorkerStartInfo(ScriptRoot,
        [
            "--functions-uri", _grpcUri.ToString(),
            "--functions-worker-id", workerId,
            "--functions-request-id", Guid.NewGuid().ToString(),
            "--functions-grpc-max-message-length", GrpcMaxMessageLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ], environment);

        var clock = Stopwatch.StartNew();
        var instance = _options.Launcher.Launch(start, _loggers.CreateLogger("LocalFunctionsHost.Worker"));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.WorkerStartTimeout);
        try
        {
            var connected = await Task.WhenAny(channel.Connected, instance.Exited, Task.Delay(Timeout.Infinite, timeout.Token))
                .ConfigureAwait(false);
            if (connected == instance.Exited)
            {
                throw new HostStartupException(
                    $"The worker exited with code {await instance.Exited.ConfigureAwait(false)} before it connected to the host (its output is in the log).");
            }

            if (connected != channel.Connected)
            {
                ct.ThrowIfCancellationRequested();
                throw new HostStartupException(
                    $"The worker did not connect within {_options.WorkerStartTimeout.TotalSeconds:0} s.");
            }

            var connectedAfter = clock.Elapsed;
            var init = await channel.InitializeAsync(new WorkerInitRequest
            {
                HostVersion = "4.0.0-local",
                WorkerDirectory = ScriptRoot,
                FunctionAppDirectory = ScriptRoot,
            }, timeout.Token).ConfigureAwait(false);
            var metadata = await channel.GetFunctionMetadataAsync(ScriptRoot, timeout.Token).ConfigureAwait(false);
            var functions = metadata.Select(FunctionDefinition.From).ToList();
            await Task.WhenAll(functions.Select(f => channel.LoadAsync(f.ToLoadRequest(ScriptRoot), timeout.Token)))
                .ConfigureAwait(false);
            var loadedAfter = clock.Elapsed;
            var httpUri = init.Capabilities.TryGetValue("HttpUri", out var uri) && !string.IsNullOrEmpty(uri) ? new Uri(uri) : null;
            if (httpUri is not null)
            {
                // The worker connects and loads before its web host has finished starting; one that is told to stop
                // in that window fails its start (exit 134). Ready means serving HTTP.
                await WaitUntilServingAsync(httpUri, timeout.Token).ConfigureAwait(false);
            }

            var session = new WorkerSession(generation, instance, channel, functions, httpUri, connectedAfter, loadedAfter, clock.Elapsed);
            LogWorkerReady(_logger, generation, functions.Count, connectedAfter.TotalMilliseconds, loadedAfter.TotalMilliseconds,
                clock.Elapsed.TotalMilliseconds);
            return session;
        }
        catch (Exception e)
        {
            _registry.Forget(channel);
            channel.Close();
            await instance.DisposeAsync().ConfigureAwait(false);
            if (e is OperationCanceledException && timeout.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                throw new HostStartupException(
                    $"The worker did not finish starting (connect, initialise, load functions) within {_options.WorkerStartTimeout.TotalSeconds:0} s.");
            }

            if (e is WorkerUnavailableException)
            {
                throw new HostStartupException($"The worker stopped while starting: {e.Message}");
            }

            throw;
        }
    }

    // A TCP connection, not a request: the worker answers requests without an invocation id with a logged error.
    private static async Task WaitUntilServingAsync(Uri httpUri, CancellationToken ct)
    {
        while (true)
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(httpUri.Host, httpUri.Port, ct).ConfigureAwait(false);
                return; // the worker's web host accepts connections
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(25, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Restarts the worker whenever it stops, with a growing pause while starts keep failing.</summary>
    private async Task SuperviseAsync(WorkerSession session, CancellationToken ct)
    {
        var delay = _options.RestartDelay;
        while (!ct.IsCancellationRequested)
        {
            var ended = await Task.WhenAny(session.Instance.Exited, session.Channel.Closed, Task.Delay(Timeout.Infinite, ct))
                .ConfigureAwait(false);
            if (ct.IsCancellationRequested)
            {
                return; // stopping: StopAsync ends the worker
            }

            var code = ended == session.Instance.Exited ? await session.Instance.Exited.ConfigureAwait(false) : -1;

            _session = NewSessionSource();
            session.Channel.Close();
            await session.Instance.DisposeAsync().ConfigureAwait(false);
            LogWorkerStopped(_logger, session.Generation, code);
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(delay, ct).ConfigureAwait(false);
                    session = await LaunchAsync(ct).ConfigureAwait(false);
                    _session.TrySetResult(session);
                    delay = _options.RestartDelay;
                    break;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    LogRestartFailed(_logger, e, e.Message);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                }
            }
        }
    }

    private static TaskCompletionSource<WorkerSession> NewSessionSource() =>
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The ready worker, waiting up to <paramref name="wait"/> for one that is (re)starting.</summary>
    internal async Task<WorkerSession> WaitForWorkerAsync(TimeSpan wait, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var remaining = wait == Timeout.InfiniteTimeSpan ? wait : wait - clock.Elapsed;
            try
            {
                var session = await _session.Task.WaitAsync(remaining < TimeSpan.Zero ? TimeSpan.Zero : remaining, ct)
                    .ConfigureAwait(false);
                if (!session.Instance.Exited.IsCompleted && !session.Channel.Closed.IsCompleted)
                {
                    return session;
                }

                // Gone, and supervision has not noticed yet: wait for its successor.
                await Task.Delay(20, ct).ConfigureAwait(false);
                if (wait != Timeout.InfiniteTimeSpan && clock.Elapsed > wait)
                {
                    throw new TimeoutException();
                }
            }
            catch (TimeoutException)
            {
                throw new WorkerUnavailableException(
                    $"No function worker is running: it stopped and is being restarted (waited {wait.TotalSeconds:0.#} s).");
            }
        }
    }

    /// <summary>Sends one invocation to the current worker; a function timeout (host.json) cancels it.</summary>
    internal async Task<InvocationResponse> InvokeAsync(
        string functionName, Action<InvocationRequest, FunctionDefinition> fill, CancellationToken ct)
    {
        var session = await WaitForWorkerAsync(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);
        var function = session.Function(functionName);
        var request = NewInvocation(function, Guid.NewGuid().ToString());
        fill(request, function);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (HostJson.FunctionTimeout is { } limit)
        {
            timeout.CancelAfter(limit);
        }

        _options.OnInvocation?.Invoke(request);
        return await session.Channel.InvokeAsync(request, timeout.Token).ConfigureAwait(false);
    }

    // The worker reads the trace context of every invocation, so it is always present, as from the real host.
    private static InvocationRequest NewInvocation(FunctionDefinition function, string invocationId) =>
        new()
        {
            FunctionId = function.FunctionId,
            InvocationId = invocationId,
            TraceContext = new RpcTraceContext
            {
                TraceParent = Activity.Current?.Id
                    ?? $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-00",
                TraceState = Activity.Current?.TraceStateString ?? "",
            },
        };

    private async Task StartHttpServerAsync(IReadOnlyList<FunctionDefinition> httpFunctions, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_loggers);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddRouting();
        builder.Services.AddHttpForwarder();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null; // as the worker decides
            k.Listen(IPAddress.Loopback, _options.Port);
        });
        _httpServer = builder.Build();
        _httpServer.UseRouting();
        // Azure answers 404 for anything that is not an HTTP function's route and method (no 405).
        _httpServer.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<HttpFunctionMetadata>() is null)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await next(context).ConfigureAwait(false);
        });
        var forwarder = _httpServer.Services.GetRequiredService<IHttpForwarder>();
        foreach (var function in httpFunctions)
        {
            var trigger = function.Trigger!;
            var route = HttpRoute(function, HostJson.RoutePrefix);
            var methods = trigger.Methods;
            var endpoint = _httpServer.Map(route, context => ServeHttpAsync(context, function.Name, trigger.Name, forwarder))
                .WithMetadata(new HttpFunctionMetadata(function.Name))
                .WithDisplayName(function.Name);
            if (methods.Count > 0)
            {
                endpoint.WithMetadata(new HttpMethodMetadata(methods));
            }
        }

        await _httpServer.StartAsync(ct).ConfigureAwait(false);
        var address = _httpServer.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        BaseAddress = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal) + "/");
    }

    /// <summary>The route an HTTP function is served at: routePrefix + (route or the function name).</summary>
    public static string HttpRoute(FunctionDefinition function, string routePrefix)
    {
        var route = (function.Trigger?["route"] is { Length: > 0 } r ? r : function.Name).Trim('/');
        return string.IsNullOrEmpty(routePrefix) ? route : routePrefix + "/" + route;
    }

    private async Task ServeHttpAsync(HttpContext context, string functionName, string triggerName, IHttpForwarder forwarder)
    {
        WorkerSession session;
        try
        {
            session = await WaitForWorkerAsync(_options.WorkerWaitForHttp, context.RequestAborted).ConfigureAwait(false);
        }
        catch (WorkerUnavailableException e)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
            await context.Response.WriteAsync(e.Message, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (session.HttpUri is null)
        {
            context.Response.StatusCode = StatusCodes.Status501NotImplemented;
            await context.Response.WriteAsync(
                "The worker does not use the ASP.NET Core integration (no HttpUri capability); this host serves only such workers.",
                context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var function = session.Function(functionName);
        var invocationId = Guid.NewGuid().ToString();
        var request = NewInvocation(function, invocationId);
        // With the HTTP proxy the request itself travels over HTTP; the invocation carries an empty RpcHttp.
        request.InputData.Add(new ParameterBinding { Name = triggerName, Data = new TypedData { Http = new RpcHttp() } });
        foreach (var (key, value) in context.Request.RouteValues)
        {
            if (value is not null)
            {
                request.TriggerMetadata[key] = new TypedData { String = value.ToString() };
            }
        }

        request.TriggerMetadata["Query"] = new TypedData
        {
            Json = JsonSerializer.Serialize(context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString())),
        };
        request.TriggerMetadata["Headers"] = new TypedData
        {
            Json = JsonSerializer.Serialize(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString())),
        };

        // The worker pairs the proxied request with the invocation by this header.
        context.Request.Headers["x-ms-invocation-id"] = invocationId;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (HostJson.FunctionTimeout is { } limit)
        {
            timeout.CancelAfter(limit);
        }

        _options.OnInvocation?.Invoke(request);
        var invocation = session.Channel.InvokeAsync(request, timeout.Token);
        // HttpTransformer.Default, as the Functions host uses: X-Forwarded-For/-Proto/-Host/-Prefix set, Host dropped.
        var error = await forwarder.SendAsync(context, session.HttpUri.ToString(), _proxyClient,
            new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromSeconds(240) }, HttpTransformer.Default).ConfigureAwait(false);
        if (error != ForwarderError.None)
        {
            LogProxyFailed(_logger, context.GetForwarderErrorFeature()?.Exception, functionName, error.ToString());
        }

        try
        {
            var response = await invocation.ConfigureAwait(false);
            if (response.Result?.Status != StatusResult.Types.Status.Success)
            {
                LogInvocationFailed(_logger, functionName, invocationId, response.Result?.Exception?.Message);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WorkerUnavailableException)
        {
            LogInvocationFailed(_logger, functionName, invocationId, e.Message);
        }
    }

    /// <summary>Sends WorkerTerminate, waits up to the grace period, then kills the worker; stops all listeners.</summary>
    public async Task StopAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_httpServer is not null)
        {
            await _httpServer.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(_background).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogStopProblem(_logger, e);
        }

        if (_session.Task.IsCompletedSuccessfully)
        {
            var session = _session.Task.Result;
            session.Channel.Terminate(_options.StopGracePeriod);
            var exited = await Task.WhenAny(session.Instance.Exited, Task.Delay(_options.StopGracePeriod)).ConfigureAwait(false);
            if (exited != session.Instance.Exited)
            {
                LogKilled(_logger, _options.StopGracePeriod.TotalSeconds);
                session.Instance.Kill();
            }

            if (session.Instance.Exited.IsCompleted)
            {
                LogWorkerExited(_logger, session.Generation, await session.Instance.Exited.ConfigureAwait(false));
            }

            await session.Instance.DisposeAsync().ConfigureAwait(false);
            session.Channel.Close();
        }

        if (_grpcServer is not null)
        {
            // Streams of workers that did not go away by themselves are not waited for.
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _grpcServer.StopAsync(quick.Token).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_httpServer is not null)
        {
            await _httpServer.DisposeAsync().ConfigureAwait(false);
        }

        if (_grpcServer is not null)
        {
            await _grpcServer.DisposeAsync().ConfigureAwait(false);
        }

        _proxyClient.Dispose();
        _stopping.Dispose();
    }

    private sealed record HttpFunctionMetadata(string FunctionName);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host started: {Count} function(s), HTTP at {BaseAddress}")]
    private static partial void LogStarted(ILogger logger, int count, Uri baseAddress);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Worker {Generation} ready with {Count} function(s): since launch, connected {ConnectedMs:0} ms, all loaded {LoadedMs:0} ms, serving HTTP {ReadyMs:0} ms")]
    private static partial void LogWorkerReady(ILogger logger, int generation, int count, double connectedMs, double loadedMs, double readyMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Generation} stopped (exit code {Code}); restarting it")]
    private static partial void LogWorkerStopped(ILogger logger, int generation, int code);

    [LoggerMessage(Level = LogLevel.Error, Message = "Restarting the worker failed: {Reason}")]
    private static partial void LogRestartFailed(ILogger logger, Exception e, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Proxying the request for {FunctionName} to the worker failed: {Error}")]
    private static partial void LogProxyFailed(ILogger logger, Exception? e, string functionName, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Function {FunctionName} (invocation {InvocationId}) failed: {Reason}")]
    private static partial void LogInvocationFailed(ILogger logger, string functionName, string invocationId, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A trigger listener did not stop cleanly")]
    private static partial void LogStopProblem(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Generation} exited with code {Code}")]
    private static partial void LogWorkerExited(ILogger logger, int generation, int code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The worker did not stop within {Seconds} s of WorkerTerminate; killed")]
    private static partial void LogKilled(ILogger logger, double seconds);
}

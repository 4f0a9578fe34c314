namespace LocalFunctionsHost;

/// <summary>How to run the local Functions host.</summary>
public sealed class FunctionsHostOptions
{
    /// <summary>The built or published app: host.json, worker.config.json, the worker's dll.</summary>
    public required string ScriptRoot { get; init; }

    /// <summary>Public HTTP port; 0 picks a free one (see <see cref="FunctionsHost.BaseAddress"/>).</summary>
    public int Port { get; init; } = 7071;

    public IWorkerLauncher Launcher { get; init; } = new ProcessWorkerLauncher();

    /// <summary>App settings: given to the worker as environment and used for <c>%Setting%</c> and connections.
    /// They win over the host's own environment, which is used too.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>The clock of timer triggers and queue polling.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>How long a launched worker has to connect, initialise and load its functions.</summary>
    public TimeSpan WorkerStartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time a worker gets after WorkerTerminate before it is killed.</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>First pause before a stopped worker is started again; doubles on each failed start, up to 30 s.</summary>
    public TimeSpan RestartDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Called with every invocation just before it is sent to the worker (diagnostics, tests).</summary>
    public Action<Protocol.InvocationRequest>? OnInvocation { get; init; }

    /// <summary>How long an HTTP request waits for a (re)starting worker before it is answered 503.</summary>
    public TimeSpan WorkerWaitForHttp { get; init; } = TimeSpan.FromSeconds(10);
}

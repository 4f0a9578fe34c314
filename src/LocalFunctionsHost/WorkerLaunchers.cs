using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;

namespace LocalFunctionsHost;

/// <summary>What the host hands a launcher: the worker's command-line arguments and environment, as the real host sets them.</summary>
public sealed record WorkerStartInfo(
    string ScriptRoot,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string?> Environment);

/// <summary>Starts worker instances. The host launches one at a time and a new one when the last has exited.</summary>
public interface IWorkerLauncher
{
    IWorkerInstance Launch(WorkerStartInfo start, ILogger logger);
}

/// <summary>A running worker.</summary>
public interface IWorkerInstance : IAsyncDisposable
{
    /// <summary>Completes with the exit code when the worker has stopped.</summary>
    Task<int> Exited { get; }

    /// <summary>The worker's services when it runs in this process; null for a worker process.</summary>
    IServiceProvider? Services { get; }

    /// <summary>Stops the worker at once (as a crash would).</summary>
    void Kill();
}

/// <summary>
/// Runs the worker as the Functions host does: <c>dotnet &lt;app&gt;.dll</c> (from worker.config.json) in the app
/// folder, its output forwarded to the log.
/// </summary>
public sealed partial class ProcessWorkerLauncher : IWorkerLauncher
{
    public IWorkerInstance Launch(WorkerStartInfo start, ILogger logger)
    {
        var (executable, workerPath) = ReadWorkerConfig(start.ScriptRoot);
        var info = new ProcessStartInfo(executable)
        {
            WorkingDirectory = start.ScriptRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(workerPath);
        foreach (var argument in start.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in start.Environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exited.TrySetResult(process.ExitCode);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line && !line.StartsWith("azfuncjsonlog:", StringComparison.Ordinal))
            {
                LogWorkerOutput(logger, process.Id, line);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                LogWorkerError(logger, process.Id, line);
            }
        };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new HostStartupException($"Could not start the worker '{executable} {workerPath}': {e.Message}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ProcessInstance(process, exited.Task);
    }

    private static (string Executable, string WorkerPath) ReadWorkerConfig(string scriptRoot)
    {
        var path = Path.Combine(scriptRoot, "worker.config.json");
        if (!File.Exists(path))
        {
            throw new HostStartupException(
                $"{path} does not exist: --script-root must name the build or publish output of an isolated-worker app.");
        }

        var description = JsonNode.Parse(File.ReadAllText(path))?["description"];
        var executable = description?["defaultExecutablePath"]?.GetValue<string>() ?? "dotnet";
        var worker = description?["defaultWorkerPath"]?.GetValue<string>()
            ?? throw new HostStartupException($"{path} names no description.defaultWorkerPath.");
        return (executable, Path.Combine(scriptRoot, worker));
    }

    private sealed class ProcessInstance(Process process, Task<int> exited) : IWorkerInstance
    {
        public Task<int> Exited => exited;

        public IServiceProvider? Services => null;

        public int ProcessId => process.Id;

        public void Kill()
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!exited.IsCompleted)
            {
                Kill();
                await exited.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }

            process.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "[worker {ProcessId}] {Line}")]
    private static partial void LogWorkerOutput(ILogger logger, int processId, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "[worker {ProcessId}] {Line}")]
    private static partial void LogWorkerError(ILogger logger, int processId, string line);
}

/// <summary>
/// Runs the worker inside this process: <paramref name="build"/> gets the argument list and settings the host would
/// give a worker process and returns the worker's (not yet started) host. Same gRPC protocol, real sockets.
/// </summary>
public sealed partial class InProcessWorkerLauncher(Func<WorkerStartInfo, IHost> build) : IWorkerLauncher
{
    public IWorkerInstance Launch(WorkerStartInfo start, ILogger logger)
    {
        var host = build(start);
        return new InProcessInstance(host, logger);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The in-process worker failed")]
    private static partial void LogFailed(ILogger logger, Exception e);

    private sealed class InProcessInstance : IWorkerInstance
    {
        private readonly IHost _host;
        private readonly ILogger _logger;
        private readonly CancellationTokenSource _kill = new();

        public InProcessInstance(IHost host, ILogger logger)
        {
            _host = host;
            _logger = logger;
            Exited = Task.Run(RunAsync);
        }

        public Task<int> Exited { get; }

        public IServiceProvider? Services => _host.Services;

        public void Kill() => _kill.Cancel();

        private async Task<int> RunAsync()
        {
            try
            {
                // Ends when the worker stops itself (WorkerTerminate, a lost host) or is killed.
                await _host.RunAsync(_kill.Token).ConfigureAwait(false);
                return _kill.IsCancellationRequested ? 137 : 0;
            }
            catch (Exception) when (_kill.IsCancellationRequested)
            {
                return 137;
            }
            catch (Exception e)
            {
                LogFailed(_logger, e);
                return 1;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!Exited.IsCompleted)
            {
                Kill();
                await Exited.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }

            _host.Dispose();
            _kill.Dispose();
        }
    }
}

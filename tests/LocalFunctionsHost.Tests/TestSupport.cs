using Microsoft.Extensions.Logging;
using System.Reflection;
using LocalFunctionsHost.SampleApp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LocalFunctionsHost.Tests;

/// <summary>Waits for something asynchronous to become true, failing with a message after a generous deadline.</summary>
public static class Eventually
{
    public static async Task<T> ReturnsAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var value = await probe();
            if (value is not null)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }

            await Task.Delay(50);
        }
    }

    public static Task TrueAsync(Func<Task<bool>> probe, string what, TimeSpan? within = null) =>
        ReturnsAsync<object>(async () => await probe() ? new object() : null, what, within);

    public static Task TrueAsync(Func<bool> probe, string what, TimeSpan? within = null) =>
        TrueAsync(() => Task.FromResult(probe()), what, within);
}

/// <summary>The sample app and the storage the tests use.</summary>
public static class Sample
{
    public static string Folder { get; } = Metadata("SampleAppFolder");

    public static string HostAssembly { get; } = Metadata("HostAssembly");

    public static string Storage =>
        Environment.GetEnvironmentVariable("HOTLINE_TEST_STORAGE")
        ?? throw new InvalidOperationException("HOTLINE_TEST_STORAGE is not set: run the tests with ./hotline test.");

    public static string UniqueQueue(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>Settings every sample host needs; the timer's default schedule is far away (1 January).</summary>
    public static Dictionary<string, string?> Settings(string? queue = null, string schedule = "0 0 0 1 1 *") => new()
    {
        ["SampleQueue"] = queue ?? UniqueQueue("unused"),
        ["SampleMessageQueue"] = UniqueQueue("receipts"),
        ["SampleSchedule"] = schedule,
        ["AzureWebJobsStorage"] = Storage,
    };

    /// <summary>Runs the sample worker inside the test process, connected to the host over gRPC.</summary>
    public static InProcessWorkerLauncher InProcess(Action<IServiceCollection>? configure = null) =>
        new(start =>
        {
            // The worker reads the app folder from the process environment (when loading functions and mapping
            // routes): one folder per process, the one the app assembly was loaded from.
            var folder = start.Environment["FUNCTIONS_APPLICATION_DIRECTORY"]!;
            var current = Environment.GetEnvironmentVariable("FUNCTIONS_APPLICATION_DIRECTORY");
            if (current is null)
            {
                Environment.SetEnvironmentVariable("FUNCTIONS_APPLICATION_DIRECTORY", folder);
            }
            else if (!string.Equals(Path.GetFullPath(current), Path.GetFullPath(folder), StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"This process already runs workers of {current}; {folder} needs a process of its own.");
            }

            var app = typeof(SampleApp.Program).Assembly;
            var builder = new HostBuilder()
                .ConfigureFunctionsWebApplication(worker => InProcessWorker.RunExtensionStartup(worker, app))
                .ConfigureServices(services =>
                {
                    SampleApp.Program.AddServices(services);
                    configure?.Invoke(services);
                });
            InProcessWorker.Configure(builder, start, Environments.Production, app);
            return builder.Build();
        });

    /// <summary>The app folder of in-process workers: this test's output, where the app assembly was loaded from.</summary>
    public static string InProcessFolder { get; } = AppContext.BaseDirectory;

    public static Task<FunctionsHost> StartAsync(
        IWorkerLauncher launcher, Dictionary<string, string?> settings, TimeProvider? time = null, Action<Protocol.InvocationRequest>? onInvocation = null,
        TimeSpan? restartDelay = null, TimeSpan? httpWait = null, LogLines? log = null) =>
        FunctionsHost.StartAsync(new FunctionsHostOptions
        {
            ScriptRoot = launcher is InProcessWorkerLauncher ? InProcessFolder : Folder,
            Port = 0,
            Launcher = launcher,
            Settings = settings,
            TimeProvider = time ?? TimeProvider.System,
            OnInvocation = onInvocation,
            RestartDelay = restartDelay ?? TimeSpan.FromMilliseconds(200),
            WorkerWaitForHttp = httpWait ?? TimeSpan.FromSeconds(10),
            LoggerFactory = log is null ? null : Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(log)),
        });

    public static Recorder Recorder(this WorkerSession session) =>
        session.Instance.Services!.GetRequiredService<Recorder>();

    private static string Metadata(string key) =>
        typeof(Sample).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}

/// <summary>Keeps log lines in memory, to show what the host and worker said when a test fails.</summary>
public sealed class LogLines : Microsoft.Extensions.Logging.ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public override string ToString() => string.Join('\n', _lines);

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<string> lines)
        : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId,
            TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception?.Message}");
    }
}

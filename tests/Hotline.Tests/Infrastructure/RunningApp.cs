using Hotline.Functions;
using LocalFunctionsHost;
using OpenTelemetry.Trace;

namespace Hotline.Tests.Infrastructure;

/// <summary>Services a test puts into the app's worker before the app's own, which leave them in place.</summary>
public sealed class WorkerSetup
{
    public IServiceCollection Services { get; } = new ServiceCollection();
}

/// <summary>
/// The real app: its isolated worker (built by <see cref="HotlineWorker.Build"/>, in this process) under the local
/// Functions host, which serves HTTP on a free loopback port and drives the queue and timer triggers, speaking the
/// worker's gRPC protocol. Tests talk to it over real HTTP. The worker's logs are captured behind the app's redaction.
/// </summary>
public sealed class RunningApp : IAsyncDisposable
{
    // The queue and timer functions, which a test's app leaves untriggered unless asked.
    private static readonly string[] TriggeredFunctions = [.. Hotline.Functions.Hosting.FunctionMethods.All
        .Where(f => f.Value.GetParameters().Any(p => p.IsDefined(typeof(Microsoft.Azure.Functions.Worker.QueueTriggerAttribute), false)
                                                      || p.IsDefined(typeof(Microsoft.Azure.Functions.Worker.TimerTriggerAttribute), false)))
        .Select(f => f.Key)];

    private RunningApp(FunctionsHost host, IServiceProvider services, CapturingLoggerProvider logs, CapturingLoggerProvider hostLogs, ILoggerFactory hostLoggers)
    {
        Host = host;
        Services = services;
        Logs = logs;
        HostLogs = hostLogs;
        _hostLoggers = hostLoggers;
        BaseAddress = host.BaseAddress;
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public const string TwilioAuthToken = "test-twilio-auth-token";
    public const string PublicBaseUrl = "https://hotline.example.org";

    public FunctionsHost Host { get; }

    public CapturingLoggerProvider Logs { get; }

    /// <summary>What the Functions host logged, the worker's logs it received over gRPC among them.</summary>
    public CapturingLoggerProvider HostLogs { get; }

    private readonly ILoggerFactory _hostLoggers;

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    /// <summary>The worker's services.</summary>
    public IServiceProvider Services { get; }

    /// <summary>
    /// Starts the app with Development defaults, Azurite storage and a private secrets file. Queue and timer
    /// triggers run only with <c>LocalFunctionsHost:Enabled</c> set to true (the host leaves them disabled, as the
    /// <c>AzureWebJobs.&lt;function&gt;.Disabled</c> settings do in Azure).
    /// </summary>
    public static async Task<RunningApp> StartAsync(
        IDictionary<string, string?>? settings = null,
        Action<WorkerSetup>? configure = null,
        Action<TracerProviderBuilder>? traceExporters = null,
        bool needsStorage = true,
        Action<Azure.Security.KeyVault.Secrets.SecretClientOptions>? configureKeyVault = null,
        int port = 0,
        string environment = "Development")
    {
        var logs = new CapturingLoggerProvider();
        var merged = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = needsStorage ? TestEnvironment.StorageConnectionString : "UseDevelopmentStorage=true",
            ["Secrets:Provider"] = "Local",
            ["Secrets:LocalFile"] = Path.Combine(Path.GetTempPath(), $"hotline-test-secrets-{Guid.NewGuid():N}.json"),
            ["LocalFunctionsHost:Enabled"] = "false",
            ["Storage:TablePrefix"] = "t" + Guid.NewGuid().ToString("N")[..12], // tables of this app only
            ["Twilio:AuthToken"] = TwilioAuthToken,
            ["Hotline:PublicBaseUrl"] = PublicBaseUrl,
            // A console polled once stays present for the whole test, however slow the machine; tests of presence
            // itself set their own window.
            ["Routing:PresenceWindow"] = "1.00:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }

        if (!string.Equals(merged["LocalFunctionsHost:Enabled"], "true", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var function in TriggeredFunctions)
            {
                merged.TryAdd($"AzureWebJobs.{function}.Disabled", "true");
            }
        }

        merged.Remove("LocalFunctionsHost:Enabled");
        // A test's own host.json (FunctionRootCopy), else the one built with the app.
        var scriptRoot = merged.GetValueOrDefault("Functions:Root") ?? AppContext.BaseDirectory;
        merged.Remove("Functions:Root");
        var setup = new WorkerSetup();
        configure?.Invoke(setup);

        // Read by the ASP.NET Core integration from the process environment; every app of the tests is the same one.
        Environment.SetEnvironmentVariable("FUNCTIONS_APPLICATION_DIRECTORY", AppContext.BaseDirectory);
        var hostLogs = new CapturingLoggerProvider();
        var hostLoggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(hostLogs));
        var host = await FunctionsHost.StartAsync(new FunctionsHostOptions
        {
            LoggerFactory = hostLoggers,
            ScriptRoot = scriptRoot,
            Port = port,
            Settings = merged,
            Launcher = new InProcessWorkerLauncher(start => HotlineWorker.Build(new HotlineAppHooks
            {
                ConfigureWorker = worker => InProcessWorker.RunExtensionStartup(worker, typeof(HotlineWorker).Assembly),
                ConfigureHost = builder =>
                {
                    InProcessWorker.Configure(builder, start, environment, typeof(HotlineWorker).Assembly);
                    builder.ConfigureLogging(logging =>
                    {
                        logging.SetMinimumLevel(LogLevel.Debug);
                        logging.AddProvider(logs);
                    });
                },
                ConfigureServices = services =>
                {
                    foreach (var descriptor in setup.Services)
                    {
                        services.Add(descriptor);
                    }
                },
                AddTraceExporters = traceExporters,
                ConfigureKeyVaultClient = configureKeyVault,
            })),
        });
        var services = (await host.CurrentWorker).Instance.Services!;
        if (needsStorage)
        {
            // Tables are created after the worker starts; wait, so tests do not race the provisioning.
            await services.GetRequiredService<Hotline.Functions.Configuration.StorageStartup>().Ready.WaitAsync(TimeSpan.FromSeconds(60));
        }

        return new RunningApp(host, services, logs, hostLogs, hostLoggers);
    }

    /// <summary>
    /// The app with the local Functions host driving the product's queues and timers, and these counsellors on the
    /// roster with their consoles just polled (so they are present): what the end-to-end SMS tests start from.
    /// </summary>
    public static async Task<RunningApp> StartWithRosterAsync(
        IEnumerable<Hotline.Roster.Counsellor> roster, IDictionary<string, string?>? settings = null, int port = 0,
        Action<WorkerSetup>? configure = null)
    {
        var merged = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        merged.TryAdd("LocalFunctionsHost:Enabled", "true");
        var app = await StartAsync(merged, configure, port: port);
        var store = app.Services.GetRequiredService<Hotline.Roster.IRosterStore>();
        var counsellors = roster.ToList();
        foreach (var counsellor in counsellors)
        {
            await store.SaveAsync(counsellor);
        }

        // Consoles signed in at a real authority poll by themselves; Development sign-in is done here.
        if (app.Services.GetService<Hotline.Functions.Auth.DevTokenIssuer>() is not null)
        {
            await OpenConsoles.PollAsync(app, [.. counsellors.Select(c => c.Id)]);
        }

        return app;
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        _hostLoggers.Dispose();
    }
}

using Hotline.Functions;
using OpenTelemetry.Trace;

namespace Hotline.Tests.Infrastructure;

/// <summary>
/// The real app, built by <see cref="HotlineApp.Build"/> and listening on a free loopback port: tests talk to it
/// over real HTTP. Its logs are captured behind the app's redaction layer.
/// </summary>
public sealed class RunningApp : IAsyncDisposable
{
    private RunningApp(WebApplication app, CapturingLoggerProvider logs)
    {
        App = app;
        Logs = logs;
        BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public const string TwilioAuthToken = "test-twilio-auth-token";
    public const string PublicBaseUrl = "https://hotline.example.org";

    public WebApplication App { get; }

    public CapturingLoggerProvider Logs { get; }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>Starts the app with Development defaults, Azurite storage and a private secrets file.</summary>
    public static async Task<RunningApp> StartAsync(
        IDictionary<string, string?>? settings = null,
        Action<WebApplicationBuilder>? configure = null,
        Action<TracerProviderBuilder>? traceExporters = null,
        bool needsStorage = true,
        Action<Azure.Security.KeyVault.Secrets.SecretClientOptions>? configureKeyVault = null,
        int port = 0)
    {
        var logs = new CapturingLoggerProvider();
        var merged = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = needsStorage ? TestEnvironment.StorageConnectionString : "UseDevelopmentStorage=true",
            ["Functions:Root"] = TestEnvironment.RepoRoot,
            ["Secrets:Provider"] = "Local",
            ["Secrets:LocalFile"] = Path.Combine(Path.GetTempPath(), $"hotline-test-secrets-{Guid.NewGuid():N}.json"),
            ["LocalFunctionsHost:Enabled"] = "false",
            ["Storage:TablePrefix"] = "t" + Guid.NewGuid().ToString("N")[..12], // tables of this app only
            ["Twilio:AuthToken"] = TwilioAuthToken,
            ["Hotline:PublicBaseUrl"] = PublicBaseUrl,
            ["FUNCTIONS_CUSTOMHANDLER_PORT"] = null,
            // A console polled once stays present for the whole test, however slow the machine; tests of presence
            // itself set their own window.
            ["Routing:PresenceWindow"] = "1.00:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }

        var app = HotlineApp.Build(
            ["--environment", "Development", "--urls", $"http://127.0.0.1:{port}"],
            new HotlineAppHooks
            {
                ConfigureBuilder = builder =>
                {
                    builder.Configuration.AddInMemoryCollection(merged);
                    builder.Logging.SetMinimumLevel(LogLevel.Debug);
                    builder.Logging.AddProvider(logs);
                    configure?.Invoke(builder);
                },
                AddTraceExporters = traceExporters,
                ConfigureKeyVaultClient = configureKeyVault,
            });
        await app.StartAsync();
        if (needsStorage)
        {
            // Tables are created after the server starts; wait, so tests do not race the provisioning.
            await app.Services.GetRequiredService<Hotline.Functions.Configuration.StorageStartup>().Ready.WaitAsync(TimeSpan.FromSeconds(60));
        }

        return new RunningApp(app, logs);
    }

    /// <summary>
    /// The app with the local Functions host driving the product's queues and timers, and these counsellors on the
    /// roster with their consoles just polled (so they are present): what the end-to-end SMS tests start from.
    /// </summary>
    public static async Task<RunningApp> StartWithRosterAsync(
        IEnumerable<Hotline.Roster.Counsellor> roster, IDictionary<string, string?>? settings = null, int port = 0,
        Action<WebApplicationBuilder>? configure = null)
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
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

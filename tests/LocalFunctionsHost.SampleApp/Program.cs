using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LocalFunctionsHost.SampleApp;

public static class Program
{
    public static void Main(string[] args) => Build(args).Run();

    /// <summary>The worker as the Functions host starts it: a process of its own.</summary>
    public static IHost Build(string[] args) =>
        new HostBuilder()
            .ConfigureFunctionsWebApplication()
            .ConfigureServices(AddServices)
            .Build();

    /// <summary>
    /// The same worker inside another process (a test's): the host's arguments and settings are passed in, not read
    /// from the process, and the app's generated startup code is run explicitly.
    /// </summary>
    public static IHost BuildInProcess(
        string[] args, IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        var appAssembly = typeof(Program).Assembly;
        // The worker reads the app folder from the process environment (when loading functions and mapping routes).
        // One process can host workers of one app folder only: the folder the app assembly was loaded from, so the
        // worker's own loading of the assembly finds the one already loaded.
        var appDirectory = settings.GetValueOrDefault("FUNCTIONS_APPLICATION_DIRECTORY")
            ?? throw new ArgumentException("FUNCTIONS_APPLICATION_DIRECTORY is not among the settings.", nameof(settings));
        var current = Environment.GetEnvironmentVariable("FUNCTIONS_APPLICATION_DIRECTORY");
        if (current is null)
        {
            Environment.SetEnvironmentVariable("FUNCTIONS_APPLICATION_DIRECTORY", appDirectory);
        }
        else if (!string.Equals(Path.GetFullPath(current), Path.GetFullPath(appDirectory), StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"This process already runs workers of {current}; a worker of {appDirectory} needs a process of its own.");
        }

        // The ASP.NET Core integration picks one HTTP port per process; each worker here needs its own.
        var port = FreeLoopbackPort();
        var builder = new HostBuilder()
            .ConfigureFunctionsWebApplication(worker => RunExtensionStartup(appAssembly, worker))
            .ConfigureAppConfiguration(config =>
            {
                // The worker reads the host's switches from Environment.GetCommandLineArgs() and its settings from
                // the environment: neither is this worker's in a shared process.
                config.AddInMemoryCollection(settings);
                config.AddCommandLine(args, new Dictionary<string, string>
                {
                    ["--functions-uri"] = "Functions:Worker:HostEndpoint",
                    ["--functions-request-id"] = "Functions:Worker:RequestId",
                    ["--functions-worker-id"] = "Functions:Worker:WorkerId",
                    ["--functions-grpc-max-message-length"] = "Functions:Worker:GrpcMaxMessageLength",
                });
            })
            .ConfigureWebHost(web => web.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port)))
            .ConfigureServices(services =>
            {
                services.PostConfigure<WorkerOptions>(o => o.Capabilities["HttpUri"] = $"http://127.0.0.1:{port}/");
                AddServices(services);
                configure?.Invoke(services);
            });
        RunAutoConfigureStartup(appAssembly, builder);
        return builder.Build();
    }

    private static void AddServices(IServiceCollection services)
    {
        services.AddSingleton<Recorder>();
        services.AddSingleton(TimeProvider.System);
    }

    // What the worker does for Assembly.GetEntryAssembly(), which in a test process is the test runner.
    private static void RunAutoConfigureStartup(Assembly app, IHostBuilder builder)
    {
        foreach (var type in app.GetTypes().Where(t =>
                     typeof(IAutoConfigureStartup).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false }))
        {
            ((IAutoConfigureStartup)Activator.CreateInstance(type)!).Configure(builder);
        }
    }

    private static void RunExtensionStartup(Assembly app, IFunctionsWorkerApplicationBuilder worker)
    {
        if (app.GetCustomAttribute<WorkerExtensionStartupCodeExecutorInfoAttribute>() is { } info)
        {
            ((WorkerExtensionStartup)Activator.CreateInstance(info.StartupCodeExecutorType)!).Configure(worker);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

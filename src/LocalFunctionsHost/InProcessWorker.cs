using System.Net;
using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Core;

namespace LocalFunctionsHost;

/// <summary>
/// What it takes to run an isolated-worker app inside another process (a test's, a benchmark's), connected to this
/// host over the worker's real gRPC protocol with <see cref="InProcessWorkerLauncher"/>: what a worker process reads
/// from its command line, its environment and its entry assembly is handed over explicitly, since in a shared process
/// all three belong to someone else. The process must also set <c>FUNCTIONS_APPLICATION_DIRECTORY</c> to the folder
/// the app assembly was loaded from (the ASP.NET Core integration reads it from the environment).
/// </summary>
public static class InProcessWorker
{
    private static readonly Dictionary<string, string> HostSwitches = new()
    {
        ["--functions-uri"] = "Functions:Worker:HostEndpoint",
        ["--functions-request-id"] = "Functions:Worker:RequestId",
        ["--functions-worker-id"] = "Functions:Worker:WorkerId",
        ["--functions-grpc-max-message-length"] = "Functions:Worker:GrpcMaxMessageLength",
    };

    /// <summary>The worker's own settings: the host's arguments and app settings, its environment, its own HTTP port.</summary>
    public static void Configure(IHostBuilder builder, WorkerStartInfo start, string environment, Assembly app)
    {
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection([new(HostDefaults.EnvironmentKey, environment)]));
        builder.ConfigureAppConfiguration(c =>
        {
            c.AddInMemoryCollection(start.Environment);
            c.AddCommandLine([.. start.Arguments], HostSwitches);
        });

        // The ASP.NET Core integration picks one HTTP port per process; each worker here needs its own.
        var port = FreePort();
        builder.ConfigureServices(services =>
        {
            services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(k => k.Listen(IPAddress.Loopback, port));
            services.PostConfigure<WorkerOptions>(o => o.Capabilities["HttpUri"] = $"http://127.0.0.1:{port}/");
        });

        // What the worker does for Assembly.GetEntryAssembly(): the generated metadata provider and function executor.
        foreach (var type in app.GetTypes().Where(t => typeof(IAutoConfigureStartup).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false }))
        {
            ((IAutoConfigureStartup)Activator.CreateInstance(type)!).Configure(builder);
        }
    }

    /// <summary>The app's generated extension startup code, which the worker also finds through the entry assembly.</summary>
    public static void RunExtensionStartup(IFunctionsWorkerApplicationBuilder worker, Assembly app)
    {
        if (app.GetCustomAttribute<WorkerExtensionStartupCodeExecutorInfoAttribute>() is { } info)
        {
            ((WorkerExtensionStartup)Activator.CreateInstance(info.StartupCodeExecutorType)!).Configure(worker);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

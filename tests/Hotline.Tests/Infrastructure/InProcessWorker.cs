using System.Net;
using System.Reflection;
using LocalFunctionsHost;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Core;

namespace Hotline.Tests.Infrastructure;

/// <summary>
/// What it takes to run the app's worker inside the test process, connected to a local Functions host over the
/// worker's real gRPC protocol: what a worker process would read from its command line, its environment and its entry
/// assembly is handed over explicitly here, since in a test process all three belong to the test runner.
/// </summary>
public static class InProcessWorker
{
    private static readonly Assembly App = typeof(Hotline.Functions.HotlineWorker).Assembly;

    private static readonly Dictionary<string, string> HostSwitches = new()
    {
        ["--functions-uri"] = "Functions:Worker:HostEndpoint",
        ["--functions-request-id"] = "Functions:Worker:RequestId",
        ["--functions-worker-id"] = "Functions:Worker:WorkerId",
        ["--functions-grpc-max-message-length"] = "Functions:Worker:GrpcMaxMessageLength",
    };

    /// <summary>The worker's own settings: the host's arguments and app settings, and its own HTTP port.</summary>
    public static void Configure(IHostBuilder builder, WorkerStartInfo start, string environment)
    {
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection([new(HostDefaults.EnvironmentKey, environment)]));
        builder.ConfigureAppConfiguration(c =>
        {
            c.AddInMemoryCollection(start.Environment);
            c.AddCommandLine([.. start.Arguments], HostSwitches);
        });

        // The ASP.NET Core integration picks one HTTP port per process; each worker here needs its own.
        var port = RunningApp.FreePort();
        builder.ConfigureServices(services =>
        {
            services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(k => k.Listen(IPAddress.Loopback, port));
            services.PostConfigure<WorkerOptions>(o => o.Capabilities["HttpUri"] = $"http://127.0.0.1:{port}/");
        });

        // What the worker does for Assembly.GetEntryAssembly(): the generated metadata provider and function executor.
        foreach (var type in App.GetTypes().Where(t => typeof(IAutoConfigureStartup).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false }))
        {
            ((IAutoConfigureStartup)Activator.CreateInstance(type)!).Configure(builder);
        }
    }

    /// <summary>The app's generated extension startup code, which the worker also finds through the entry assembly.</summary>
    public static void RunExtensionStartup(IFunctionsWorkerApplicationBuilder worker)
    {
        if (App.GetCustomAttribute<WorkerExtensionStartupCodeExecutorInfoAttribute>() is { } info)
        {
            ((WorkerExtensionStartup)Activator.CreateInstance(info.StartupCodeExecutorType)!).Configure(worker);
        }
    }
}

using System.Globalization;
using System.Runtime.InteropServices;
using LocalFunctionsHost;

// dotnet LocalFunctionsHost.dll --script-root <built or published app> [--port N]
string? scriptRoot = null;
var port = 7071;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--script-root" when i + 1 < args.Length:
            scriptRoot = args[++i];
            break;
        case "--port" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p <= 65535:
            port = p;
            i++;
            break;
        default:
            Console.Error.WriteLine("usage: LocalFunctionsHost --script-root <built or published app folder> [--port N (0: any free port)]");
            return 2;
    }
}

if (scriptRoot is null)
{
    Console.Error.WriteLine("usage: LocalFunctionsHost --script-root <built or published app folder> [--port N (0: any free port)]");
    return 2;
}

using var loggers = LoggerFactory.Create(b => b
    .AddSimpleConsole(o => o.SingleLine = true)
    .SetMinimumLevel(LogLevel.Information)
    .AddFilter("Microsoft", LogLevel.Warning)
    .AddFilter("Grpc", LogLevel.Warning)
    .AddFilter("Yarp", LogLevel.Warning)); // a line per proxied request otherwise
// Ctrl-C and SIGTERM stop the host in order: WorkerTerminate first, then the process ends.
using var stop = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

FunctionsHost host;
try
{
    host = await FunctionsHost.StartAsync(
        new FunctionsHostOptions { ScriptRoot = scriptRoot, Port = port, LoggerFactory = loggers }, stop.Token);
}
catch (HostStartupException e)
{
    Console.Error.WriteLine($"LocalFunctionsHost: {e.Message}");
    return 1;
}
catch (IOException e)
{
    Console.Error.WriteLine($"LocalFunctionsHost: could not listen on port {port}: {e.Message}");
    return 1;
}
catch (OperationCanceledException)
{
    return 1;
}

await using (host)
{
    Console.WriteLine("Functions:");
    foreach (var function in host.Functions)
    {
        var trigger = function.Trigger!;
        var description = trigger.Type switch
        {
            _ when trigger.Is(Binding.HttpTrigger) =>
                $"[{string.Join(",", trigger.Methods.DefaultIfEmpty("ALL"))}] {host.BaseAddress}{FunctionsHost.HttpRoute(function, host.HostJson.RoutePrefix)}",
            _ when trigger.Is(Binding.QueueTrigger) => $"queueTrigger on {host.QueueListeners[function.Name]}",
            _ when trigger.Is(Binding.TimerTrigger) => $"timerTrigger '{host.TimerSchedules[function.Name]}' (UTC)",
            _ => trigger.Type,
        };
        Console.WriteLine($"  {function.Name}: {description}");
    }

    Console.WriteLine($"Listening on {host.BaseAddress} (Ctrl-C stops)");
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
    }
}

return 0;

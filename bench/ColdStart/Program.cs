// Cold start of two published Functions apps under the local Functions host: the time from the host's start to the
// first HTTP 200 from a health route, and within it the worker's own start (launch to connected, and to ready: every
// function loaded and its HTTP endpoint serving). The host launches each worker as a process, as `./hotline up` does.
//
//   ColdStart --app ours --script-root DIR --path api/health --setting KEY=VALUE ...
//             --app empty --script-root DIR2 --path api/health
//             [--runs 10] [--timeout 60] [--goal 1.3] [--out FILE] [--nproc N] [--note TEXT]...
//
// The ratio is first app / second app.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using LocalFunctionsHost;
using Microsoft.Extensions.Logging;

Options options;
try
{
    options = Options.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync($"coldstart: {e.Message}");
    return 2;
}

var loadBefore = LoadAverage();
try
{
    // Untimed: warms the OS file cache for both apps, this process's host code and HTTP stack, and (for an app on
    // storage) provisions its tables, so every timed run starts an app whose storage already exists, as in Azure.
    foreach (var app in options.Apps)
    {
        var sample = await Measure.OnceAsync(app, options.Timeout);
        await Console.Error.WriteLineAsync(Invariant($"warm-up {app.Name}: {sample}"));
    }

    // Alternate the apps so that both see the same machine noise.
    var samples = options.Apps.ToDictionary(a => a.Name, _ => new List<Sample>());
    for (var run = 1; run <= options.Runs; run++)
    {
        foreach (var app in options.Apps)
        {
            var sample = await Measure.OnceAsync(app, options.Timeout);
            samples[app.Name].Add(sample);
            await Console.Error.WriteLineAsync(Invariant($"run {run}/{options.Runs} {app.Name}: {sample}"));
        }
    }

    var report = Report.Render(options, samples, loadBefore, LoadAverage());
    Console.WriteLine(report.Table);
    if (options.OutFile is { } outFile)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outFile))!);
        await File.WriteAllTextAsync(outFile, report.Document);
        await Console.Error.WriteLineAsync($"written: {outFile}");
    }

    return 0;
}
catch (ColdStartException e)
{
    await Console.Error.WriteLineAsync($"coldstart: {e.Message}");
    return 1;
}

static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

// The 1, 5 and 15 minute load averages: the figures are only as good as the machine was quiet.
static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

internal sealed record App(string Name, string ScriptRoot, string Path, Dictionary<string, string?> Settings);

/// <summary>
/// One run (ms): host start to the first 200; host start to the host serving HTTP (its worker ready); the worker's
/// launch to connected and to ready; and how many answers other than 200 came first.
/// </summary>
internal sealed record Sample(double Total, double HostStarted, double Connected, double Ready, int NotOk)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Total:F0} ms (host serving {HostStarted:F0} ms; worker connected {Connected:F0} ms, ready {Ready:F0} ms; answers before the 200: {NotOk})");
}

internal sealed record Options(
    List<App> Apps, int Runs, TimeSpan Timeout, double Goal, string? OutFile, int Nproc, List<string> Notes)
{
    public static Options Parse(string[] args)
    {
        var apps = new List<App>();
        var notes = new List<string>();
        int runs = 10, nproc = Environment.ProcessorCount;
        double timeout = 60, goal = 1.3;
        string? outFile = null;

        App Current(string option) => apps.Count > 0 ? apps[^1] : throw new ArgumentException($"{option} must follow --app");

        for (var i = 0; i < args.Length; i++)
        {
            var option = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{option} needs a value");
            switch (option)
            {
                case "--app": apps.Add(new App(Value(), "", "api/health", new(StringComparer.Ordinal))); break;
                case "--script-root": apps[^1] = Current(option) with { ScriptRoot = System.IO.Path.GetFullPath(Value()) }; break;
                case "--path": apps[^1] = Current(option) with { Path = Value().TrimStart('/') }; break;
                case "--setting":
                    var pair = Value();
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        throw new ArgumentException($"--setting expects KEY=VALUE, got '{pair}'");
                    }

                    Current(option).Settings[pair[..eq]] = pair[(eq + 1)..];
                    break;
                case "--runs": runs = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--timeout": timeout = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--goal": goal = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--out": outFile = Value(); break;
                case "--nproc": nproc = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--note": notes.Add(Value()); break;
                default: throw new ArgumentException($"unknown option '{option}'");
            }
        }

        if (apps.Count != 2)
        {
            throw new ArgumentException("give exactly two --app (the ratio is first / second)");
        }

        foreach (var app in apps)
        {
            if (!File.Exists(System.IO.Path.Combine(app.ScriptRoot, "worker.config.json")))
            {
                throw new ArgumentException($"{app.Name}: '{app.ScriptRoot}' is not a published isolated-worker app (no worker.config.json)");
            }
        }

        if (runs < 1)
        {
            throw new ArgumentException("--runs must be at least 1");
        }

        return new Options(apps, runs, TimeSpan.FromSeconds(timeout), goal, outFile, nproc, notes);
    }
}

internal static class Measure
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    // Short, so a request that lands while the app is half up is retried soon rather than waited on.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Starts the host on the app, polls the health route until 200, and stops the host (untimed).</summary>
    public static async Task<Sample> OnceAsync(App app, TimeSpan timeout)
    {
        var logs = new CapturedLogs();
        using var loggers = LoggerFactory.Create(b => b
            .AddProvider(logs)
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("Grpc", LogLevel.Warning));
        using var deadline = new CancellationTokenSource(timeout);
        // A fresh client per run: no connection survives from one host to the next. No proxy: loopback only.
        using var handler = new SocketsHttpHandler { UseProxy = false, ConnectTimeout = RequestTimeout };
        using var http = new HttpClient(handler) { Timeout = RequestTimeout };

        var clock = Stopwatch.StartNew();
        FunctionsHost host;
        try
        {
            host = await FunctionsHost.StartAsync(new FunctionsHostOptions
            {
                ScriptRoot = app.ScriptRoot,
                Port = 0,
                Settings = app.Settings,
                Launcher = new ProcessWorkerLauncher(),
                LoggerFactory = loggers,
                WorkerStartTimeout = timeout,
            }, deadline.Token);
        }
        catch (Exception e) when (e is HostStartupException or OperationCanceledException)
        {
            throw new ColdStartException($"{app.Name}: the host did not start: {e.Message}{logs.Tail()}");
        }

        var hostStarted = clock.Elapsed.TotalMilliseconds;
        await using (host)
        {
            var notOk = 0;
            var url = new Uri(host.BaseAddress, app.Path);
            var last = "no answer";
            while (true)
            {
                try
                {
                    using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        var total = clock.Elapsed.TotalMilliseconds;
                        var session = await host.CurrentWorker;
                        return new Sample(total, hostStarted, session.ConnectedAfter.TotalMilliseconds, session.LoadedAfter.TotalMilliseconds, notOk);
                    }

                    notOk++;
                    last = $"status {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    last = e.Message;
                }

                if (deadline.IsCancellationRequested)
                {
                    throw new ColdStartException(
                        $"{app.Name} did not answer 200 on /{app.Path} within {timeout.TotalSeconds:F0} s (last: {last}).{logs.Tail()}");
                }

                await Task.Delay(PollInterval);
            }
        }
    }
}

/// <summary>The host's and the worker's log lines of one run, shown only when the run fails.</summary>
internal sealed class CapturedLogs : ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        _lines.Enqueue($"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}");
        while (_lines.Count > 40 && _lines.TryDequeue(out _))
        {
        }
    }

    public string Tail() => _lines.IsEmpty ? " (no log)" : "\n  " + string.Join("\n  ", _lines);

    public void Dispose()
    {
    }
}

internal sealed record Report(string Table, string Document)
{
    public static Report Render(Options options, Dictionary<string, List<Sample>> samples, string loadBefore, string loadAfter)
    {
        var first = options.Apps[0].Name;
        var second = options.Apps[1].Name;
        var ratio = Median(samples[first], s => s.Total) / Median(samples[second], s => s.Total);
        var met = ratio <= options.Goal ? "met" : "NOT met";

        var table = new StringBuilder();
        table.AppendLine("| app | median ms | min ms | max ms | host serving, median ms | worker connected, median ms | worker ready, median ms |");
        table.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var app in options.Apps)
        {
            var s = samples[app.Name];
            table.AppendLine(Invariant(
                $"| {app.Name} | {Median(s, x => x.Total):F0} | {s.Min(x => x.Total):F0} | {s.Max(x => x.Total):F0} | {Median(s, x => x.HostStarted):F0} | {Median(s, x => x.Connected):F0} | {Median(s, x => x.Ready):F0} |"));
        }

        table.AppendLine();
        table.Append(Invariant($"ratio {first}/{second} (medians): {ratio:F3} (goal ≤ {options.Goal}: {met})"));

        var doc = new StringBuilder();
        doc.AppendLine("# Cold start");
        doc.AppendLine();
        doc.AppendLine(Invariant($"""
            Local Functions host start to the first HTTP 200 from the app's health route (`/{options.Apps[0].Path}`), median of {options.Runs} runs per app, the apps alternated, after one untimed warm-up run each. The host launches each published app's worker as a process (`dotnet <app>.dll` from its `worker.config.json`), as `./hotline up` does. "Worker connected" is the worker's launch to its first gRPC message to the host; "worker ready" is launch to every function loaded and the worker's HTTP endpoint serving; "host serving" is the host's start to its public HTTP port open (the worker ready; the rest is the first request). Measured by `bench/ColdStart`, which `bench/coldstart.sh` builds the apps for and runs.
            """));
        doc.AppendLine();
        doc.AppendLine(Invariant($"- date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        doc.AppendLine(Invariant($"- nproc: {options.Nproc}; load average (1, 5, 15 min) before: {loadBefore}, after: {loadAfter}"));
        doc.AppendLine($"- .NET: {RuntimeInformation.FrameworkDescription} (the shared runtime both framework-dependent apps run on)");
        doc.AppendLine($"- OS: {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})");
        foreach (var note in options.Notes)
        {
            doc.AppendLine($"- {note}");
        }

        doc.AppendLine();
        doc.AppendLine(table.ToString());
        doc.AppendLine();
        doc.AppendLine("Every run, in order (ms: host start to 200 / host serving / worker connected / worker ready; answers before the 200 if any):");
        doc.AppendLine();
        foreach (var app in options.Apps)
        {
            doc.AppendLine($"- {app.Name}: {string.Join(", ", samples[app.Name].Select(s => Invariant($"{s.Total:F0}/{s.HostStarted:F0}/{s.Connected:F0}/{s.Ready:F0}{(s.NotOk > 0 ? $" ({s.NotOk} not 200)" : "")}")))}");
        }

        return new Report(table.ToString(), doc.ToString());
    }

    private static double Median(List<Sample> samples, Func<Sample, double> value)
    {
        var sorted = samples.Select(value).Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

internal sealed class ColdStartException(string message) : Exception(message);

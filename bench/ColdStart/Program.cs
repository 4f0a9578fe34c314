// Cold start of two published apps: the time from process start to the first HTTP 200 on GET /, which is what the
// Azure Functions host waits for before it sends a custom handler anything.
//
//   ColdStart --app ours --exe DIR/Hotline.Functions --cwd DIR --env KEY=VALUE ...
//             --app empty --exe DIR2/EmptyApp --cwd DIR2 --env ASPNETCORE_URLS=http://127.0.0.1:{port}
//             [--runs 10] [--timeout 30] [--goal 1.5] [--out FILE] [--nproc N] [--note TEXT]...
//
// "{port}" in an --env value becomes the free loopback port picked for that run. The ratio is first app / second app.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

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

try
{
    // Untimed: warms the OS file cache for both apps, and this tool's own HTTP stack.
    foreach (var app in options.Apps)
    {
        var ms = await Measure.OnceAsync(app, options.Timeout);
        await Console.Error.WriteLineAsync(Invariant($"warm-up {app.Name}: {ms:F0} ms"));
    }

    // Alternate the apps so that both see the same machine noise.
    var samples = options.Apps.ToDictionary(a => a.Name, _ => new List<double>());
    for (var run = 1; run <= options.Runs; run++)
    {
        foreach (var app in options.Apps)
        {
            var ms = await Measure.OnceAsync(app, options.Timeout);
            samples[app.Name].Add(ms);
            await Console.Error.WriteLineAsync(Invariant($"run {run}/{options.Runs} {app.Name}: {ms:F0} ms"));
        }
    }

    var report = Report.Render(options, samples);
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

internal sealed record App(string Name, string Exe, string WorkingDirectory, List<KeyValuePair<string, string>> Env);

internal sealed record Options(
    List<App> Apps, int Runs, TimeSpan Timeout, double Goal, string? OutFile, int Nproc, List<string> Notes)
{
    public static Options Parse(string[] args)
    {
        var apps = new List<App>();
        var notes = new List<string>();
        int runs = 10, nproc = Environment.ProcessorCount;
        double timeout = 30, goal = 1.5;
        string? outFile = null;

        App Current(string option) => apps.Count > 0 ? apps[^1] : throw new ArgumentException($"{option} must follow --app");

        for (var i = 0; i < args.Length; i++)
        {
            var option = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{option} needs a value");
            switch (option)
            {
                case "--app": apps.Add(new App(Value(), "", "", [])); break;
                case "--exe": apps[^1] = Current(option) with { Exe = Path.GetFullPath(Value()) }; break;
                case "--cwd": apps[^1] = Current(option) with { WorkingDirectory = Path.GetFullPath(Value()) }; break;
                case "--env":
                    var pair = Value();
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        throw new ArgumentException($"--env expects KEY=VALUE, got '{pair}'");
                    }

                    Current(option).Env.Add(new(pair[..eq], pair[(eq + 1)..]));
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
            if (!File.Exists(app.Exe))
            {
                throw new ArgumentException($"{app.Name}: no executable at '{app.Exe}'");
            }
        }

        if (runs < 1)
        {
            throw new ArgumentException("--runs must be at least 1");
        }

        // Default working directory: the executable's folder, where the published app expects to run.
        apps = apps.Select(a => a.WorkingDirectory.Length > 0 ? a : a with { WorkingDirectory = Path.GetDirectoryName(a.Exe)! })
            .ToList();
        return new Options(apps, runs, TimeSpan.FromSeconds(timeout), goal, outFile, nproc, notes);
    }
}

internal static class Measure
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    // Short, so a request that lands while the server is half up is retried soon rather than waited on.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>Starts the app, polls GET / until 200, and returns the elapsed milliseconds; always stops the app.</summary>
    public static async Task<double> OnceAsync(App app, TimeSpan timeout)
    {
        var port = FreeLoopbackPort();
        var portText = port.ToString(CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo(app.Exe)
        {
            WorkingDirectory = app.WorkingDirectory,
            UseShellExecute = false,
            // Captured (never shown unless the app fails) and drained, so console logging cannot block on a full pipe.
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in app.Env)
        {
            start.Environment[key] = value.Replace("{port}", portText, StringComparison.Ordinal);
        }

        var output = new StringBuilder();
        void Capture(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        }

        // A fresh client per run: no connection survives from one process to the next. No proxy: loopback only.
        using var handler = new SocketsHttpHandler { UseProxy = false, ConnectTimeout = RequestTimeout };
        using var http = new HttpClient(handler) { Timeout = RequestTimeout };
        var url = new Uri($"http://127.0.0.1:{portText}/");

        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += Capture;
        process.ErrorDataReceived += Capture;

        var clock = Stopwatch.StartNew();
        process.Start();
        try
        {
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            while (true)
            {
                try
                {
                    using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        return clock.Elapsed.TotalMilliseconds;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Not listening yet (connection refused) or not answering yet: poll again.
                }

                if (process.HasExited)
                {
                    throw new ColdStartException(
                        $"{app.Name} exited with code {process.ExitCode} before answering GET /.{Tail(output)}");
                }

                if (clock.Elapsed > timeout)
                {
                    throw new ColdStartException(
                        $"{app.Name} did not answer 200 on GET / within {timeout.TotalSeconds:F0} s.{Tail(output)}");
                }

                await Task.Delay(PollInterval);
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
        }
    }

    // The OS picks a free port; it is released at once for the app to take (a small race, fine on a quiet machine).
    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Tail(StringBuilder output)
    {
        string text;
        lock (output)
        {
            text = output.ToString();
        }

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length == 0 ? " (no output)" : "\n  " + string.Join("\n  ", lines.TakeLast(20));
    }
}

internal sealed record Report(string Table, string Document)
{
    public static Report Render(Options options, Dictionary<string, List<double>> samples)
    {
        var first = options.Apps[0].Name;
        var second = options.Apps[1].Name;
        var ratio = Median(samples[first]) / Median(samples[second]);
        var met = ratio <= options.Goal ? "met" : "NOT met";

        var table = new StringBuilder();
        table.AppendLine("| app | median ms | min ms | max ms |");
        table.AppendLine("| --- | ---: | ---: | ---: |");
        foreach (var app in options.Apps)
        {
            var s = samples[app.Name];
            table.AppendLine(Invariant($"| {app.Name} | {Median(s):F0} | {s.Min():F0} | {s.Max():F0} |"));
        }

        table.AppendLine();
        table.Append(Invariant($"ratio {first}/{second} (medians): {ratio:F3} (goal ≤ {options.Goal}: {met})"));

        var doc = new StringBuilder();
        doc.AppendLine("# Cold start");
        doc.AppendLine();
        doc.AppendLine(Invariant($"""
            Process start to the first HTTP 200 on `GET /`, median of {options.Runs} runs per app, the apps alternated, after one untimed warm-up run each. Measured by `bench/ColdStart`, which `bench/coldstart.sh` builds the apps for and runs.
            """));
        doc.AppendLine();
        doc.AppendLine(Invariant($"- date: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        doc.AppendLine(Invariant($"- nproc: {options.Nproc}"));
        doc.AppendLine($"- .NET: {DotnetVersions(options.Apps)}");
        doc.AppendLine($"- OS: {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})");
        foreach (var note in options.Notes)
        {
            doc.AppendLine($"- {note}");
        }

        doc.AppendLine();
        doc.AppendLine(table.ToString());
        doc.AppendLine();
        doc.AppendLine("Every run, in order (ms):");
        doc.AppendLine();
        foreach (var app in options.Apps)
        {
            doc.AppendLine($"- {app.Name}: {string.Join(", ", samples[app.Name].Select(ms => ms.ToString("F0", CultureInfo.InvariantCulture)))}");
        }

        return new Report(table.ToString(), doc.ToString());
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    // The runtime each self-contained app carries (its System.Private.CoreLib), which is what was measured.
    private static string DotnetVersions(List<App> apps)
    {
        var versions = apps.Select(a =>
        {
            var coreLib = Path.Combine(Path.GetDirectoryName(a.Exe)!, "System.Private.CoreLib.dll");
            var version = File.Exists(coreLib)
                ? FileVersionInfo.GetVersionInfo(coreLib).ProductVersion?.Split('+')[0] ?? "unknown"
                : $"shared runtime ({RuntimeInformation.FrameworkDescription})";
            return (a.Name, Version: version);
        }).ToList();
        return versions.Select(v => v.Version).Distinct().Count() == 1
            ? $"{versions[0].Version} (runtime carried by both apps)"
            : string.Join(", ", versions.Select(v => $"{v.Name} {v.Version}"));
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

internal sealed class ColdStartException(string message) : Exception(message);

// Voice calls starting all at once against the real app on Azurite, through the local Functions host: Twilio's
// signed webhooks over loopback HTTP to the host's public port, which invokes the function over gRPC and proxies the
// request to the worker. The worker (built by HotlineWorker.Build, as in production) runs in this process so that
// storage transactions can be counted in the Azure SDK pipeline. Each call is a SimulatedCall (Twilio's part: its
// own CallSid and caller number, every answer required to be 200 with documented TwiML). Measures each webhook's
// answer time on the client side, from the request to the full answer, for the call starts fired at once and for
// the next steps of the same calls, also fired at once. Writes bench/results/voice.md; exits 1 on any failed answer.
//   VoiceLoad --storage CONNECTION_STRING [--calls 100] [--warmup 10] [--out FILE]
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Hotline.Functions;
using Hotline.Functions.Dev.CallFlow;
using Hotline.Functions.Voice;
using Hotline.Privacy;
using Hotline.Roster;
using LocalFunctionsHost;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var options = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(x => x.a[2..], x => x.i + 1 < args.Length ? args[x.i + 1] : "");
string Option(string name, string fallback) => options.TryGetValue(name, out var v) ? v : fallback;
var storage = Option("storage", "");
if (storage.Length == 0)
{
    Console.Error.WriteLine("usage: VoiceLoad --storage CONNECTION_STRING [--calls 100] [--warmup 10] [--out FILE]");
    return 2;
}

var callCount = int.Parse(Option("calls", "100"), CultureInfo.InvariantCulture);
var warmUpCount = int.Parse(Option("warmup", "10"), CultureInfo.InvariantCulture);
const string AuthToken = "bench-auth-token";
const string PublicBase = "https://hotline.example.org";
// A number mapped to Romanian (its callers hear the safety line at once) and the general number (the language menu).
const string RomanianLine = "+40312345678";
const string GeneralLine = "+442071234567";
const double GoalMs = 100;
var loadBefore = LoadAverage();

var counter = new TransactionCounter();
using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
// The worker's ASP.NET Core integration reads the app folder from the process environment.
Environment.SetEnvironmentVariable("FUNCTIONS_APPLICATION_DIRECTORY", AppContext.BaseDirectory);
var host = await FunctionsHost.StartAsync(new FunctionsHostOptions
{
    // The app's build output, as the tests run it: host.json and the app's assemblies are copied here.
    ScriptRoot = AppContext.BaseDirectory,
    Port = 0,
    LoggerFactory = loggers,
    Settings = new Dictionary<string, string?>
    {
        ["AzureWebJobsStorage"] = storage,
        ["Storage:TablePrefix"] = "bench" + Guid.NewGuid().ToString("N")[..8],
        ["Secrets:Provider"] = "Local",
        ["Secrets:LocalFile"] = Path.Combine(Path.GetTempPath(), $"hotline-bench-{Guid.NewGuid():N}.json"),
        ["Twilio:AuthToken"] = AuthToken,
        ["Hotline:PublicBaseUrl"] = PublicBase,
        ["Sms:Numbers"] = RomanianLine + "=ro",
    },
    Launcher = new InProcessWorkerLauncher(start => HotlineWorker.Build(new HotlineAppHooks
    {
        ConfigureWorker = worker => InProcessWorker.RunExtensionStartup(worker, typeof(HotlineWorker).Assembly),
        ConfigureHost = b =>
        {
            InProcessWorker.Configure(b, start, "Development", typeof(HotlineWorker).Assembly);
            b.ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        },
        StoragePipelinePolicy = counter,
    })),
});
var services = (await host.CurrentWorker).Instance.Services!;
await services.GetRequiredService<Hotline.Functions.Configuration.StorageStartup>().Ready;

// Counsellors who take calls on their phone (no console needed): Romanian and Ukrainian speakers, English speakers
// and the supervisor on duty at the end of the chain, so every call has someone to ring.
var roster = services.GetRequiredService<IRosterStore>();
string[] languages = ["ro", "ro", "ro", "ro", "uk", "uk", "en", "en", "en", "en"];
for (var i = 0; i < languages.Length; i++)
{
    await roster.SaveAsync(new Counsellor($"{languages[i]}-{i}", $"Counsellor {i}", [languages[i]], OnCall: true, Capacity: 3)
    {
        Phone = StaffPhoneNumber.Parse(string.Create(CultureInfo.InvariantCulture, $"+4477009001{i:D2}")),
        TakesCallsOnPhone = true,
        SupervisorOnDuty = i == languages.Length - 1,
    });
}

var menu = services.GetRequiredService<VoiceCatalogue>().Menu;
var timings = new TimingHandler(new SocketsHttpHandler { MaxConnectionsPerServer = 256 });
using var http = new HttpClient(timings) { BaseAddress = host.BaseAddress };
var errors = new ConcurrentQueue<string>();

// Warm-up (JIT, connection pools, thread pool), as on an instance that is already serving: the same steps, not measured.
await CallsAsync("warm-up", warmUpCount, i => string.Create(CultureInfo.InvariantCulture, $"+40710{i:D6}"));
timings.Clear();

var results = await CallsAsync("measured", callCount, i => string.Create(CultureInfo.InvariantCulture, $"+40720{i:D6}"));
var loadAfter = LoadAverage();

var samples = timings.Samples.ToList();
var rows = new StringBuilder()
    .AppendLine("| step | answers | p50 | p95 | p99 | max | storage transactions per answer | goal |")
    .AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    .AppendLine(Row($"1. call start, {callCount} at once (`/api/twilio/voice`)", Step(1, null), results.Transactions[0], $"p99 < {GoalMs} ms"))
    .AppendLine(Row($"2. all second steps, {callCount} at once", Step(2, null), results.Transactions[1], $"p99 < {GoalMs} ms"))
    .AppendLine(Row("2a. menu key: safety line (`/menu`)", Step(2, "/api/twilio/voice/menu"), null, ""))
    .AppendLine(Row("2b. safety line over: ring counsellors (`/safety`)", Step(2, "/api/twilio/voice/safety"), null, ""))
    .AppendLine(Row($"3. menu callers' safety line over: ring, {results.MenuCallers} at once (`/safety`)", Step(3, null), results.Transactions[2], $"p99 < {GoalMs} ms"))
    .ToString();
var startP99 = Percentile(Step(1, null), 0.99);
var secondP99 = Percentile(Step(2, null), 0.99);
var met = startP99 < GoalMs;
var failed = errors.Count > 0 || samples.Any(s => s.Status != 200);
var report = new StringBuilder()
    .AppendLine(CultureInfo.InvariantCulture, $"{callCount} calls from distinct callers, every second one to a number mapped to Romanian (safety line first) and the others to the general number (language menu first); {Environment.ProcessorCount} cores (load generator, local Functions host, app and Azurite share them); {RuntimeInformation.FrameworkDescription}. Webhooks over loopback HTTP to the host, which invokes the function over gRPC and proxies the request to the worker; answer time measured by the client from the request to the full answer. After a warm-up of {warmUpCount} calls through the same steps (a running instance, not a cold start), each step of every call is fired at once:")
    .AppendLine()
    .AppendLine(CultureInfo.InvariantCulture, $"1. the {callCount} calls come in (`/api/twilio/voice`): conversation created, menu or safety line;")
    .AppendLine(CultureInfo.InvariantCulture, $"2. their second step: the menu callers press a language key (`/menu`: the safety line in that language), the others let the safety line pass (`/safety`: roster read, ring round saved, counsellors rung);")
    .AppendLine(CultureInfo.InvariantCulture, $"3. the menu callers let the safety line pass (`/safety`: counsellors rung).")
    .AppendLine()
    .Append(rows)
    .AppendLine()
    .AppendLine(CultureInfo.InvariantCulture, $"Answers: {samples.Count}, of which not 200: {samples.Count(s => s.Status != 200)}; calls failed (non-200, not TwiML, or TwiML Twilio does not document; every answer was checked): {errors.Count}.  ")
    .AppendLine(CultureInfo.InvariantCulture, $"Goal (call start p99 < {GoalMs} ms): {(met ? "met" : "not met")} ({startP99:F1} ms); second step p99 {secondP99:F1} ms.  ")
    .AppendLine("Storage transactions are every request the worker made to Azurite while the step ran (a background sweep may add a few).")
    .ToString();
Console.Write(report);
foreach (var error in errors.Take(5))
{
    Console.Error.WriteLine(error);
}

if (options.TryGetValue("out", out var outFile))
{
    await File.WriteAllTextAsync(outFile, "# Voice webhooks under load\n\nWritten by `bench/voice.sh"
        + string.Concat(args.Where((a, i) => a != "--storage" && (i == 0 || args[i - 1] != "--storage") && a != "--out" && (i == 0 || args[i - 1] != "--out")).Select(a => " " + a))
        + "` on " + DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)
        + $"; nproc {Environment.ProcessorCount}; load average (1, 5, 15 min) before: {loadBefore}, after: {loadAfter}.\n\n" + report);
}

await host.DisposeAsync();
if (failed)
{
    Console.Error.WriteLine($"FAILED: {errors.Count} calls failed, {samples.Count(s => s.Status != 200)} answers not 200.");
    return 1;
}

return 0;

List<double> Step(int step, string? path) =>
    [.. samples.Where(s => s.Step == step && (path is null || s.Path == path)).Select(s => s.Milliseconds)];

// Runs the calls' steps, each step of all calls at once; returns the storage transactions per answer of each step.
async Task<(double[] Transactions, int MenuCallers)> CallsAsync(string label, int count, Func<int, string> caller)
{
    var calls = new SimulatedCall?[count];
    var transactions = new double[3];
    var menuCallers = Enumerable.Range(0, count).Where(i => i % 2 == 1).ToList();

    transactions[0] = await AtOnceAsync(1, Enumerable.Range(0, count), async i =>
        calls[i] = await SimulatedCall.StartAsync(http, new SimulatedCallOptions
        {
            PublicBase = new Uri(PublicBase),
            AuthToken = AuthToken,
            From = caller(i),
            To = i % 2 == 0 ? RomanianLine : GeneralLine,
        }));
    transactions[1] = await AtOnceAsync(2, Enumerable.Range(0, count).Where(i => calls[i] is not null), i =>
        i % 2 == 0 ? Expect(calls[i]!.StayQuietAsync(), calls[i]!, CallState.Dialing) : Expect(calls[i]!.PressAsync(menu[i / 2 % menu.Count].Key), calls[i]!, CallState.WaitingForKeys));
    transactions[2] = await AtOnceAsync(3, menuCallers.Where(i => calls[i] is not null), i => Expect(calls[i]!.StayQuietAsync(), calls[i]!, CallState.Dialing));
    return (transactions, menuCallers.Count);

    async Task<double> AtOnceAsync(int step, IEnumerable<int> indexes, Func<int, Task> run)
    {
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var before = counter.Count;
        timings.Step = step;
        var tasks = indexes.Select(i => Task.Run(async () =>
        {
            await go.Task;
            try
            {
                await run(i);
            }
            catch (Exception e) when (e is CallFlowException or TwimlProblemsException or HttpRequestException)
            {
                calls[i] = null;
                errors.Enqueue($"{label} call {i}, step {step}: {e.Message}");
            }
        })).ToList();
        go.SetResult();
        await Task.WhenAll(tasks);
        return tasks.Count == 0 ? 0 : (double)(counter.Count - before) / tasks.Count;
    }
}

// A step that led the call elsewhere than expected (e.g. to the offer: nobody to ring) is a failure of the bench's setup.
static async Task Expect(Task step, SimulatedCall call, CallState expected)
{
    await step;
    if (call.State != expected)
    {
        throw new CallFlowException($"expected the call {expected}, it is {call.State}; heard: {string.Join(" | ", call.CallerHeard)}");
    }
}

static double Percentile(IReadOnlyCollection<double> values, double q)
{
    var sorted = values.Order().ToList();
    return sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
}

static string Row(string name, IReadOnlyCollection<double> values, double? transactions, string goal) =>
    string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {values.Count} | {Percentile(values, 0.5):F1} ms | {Percentile(values, 0.95):F1} ms | {Percentile(values, 0.99):F1} ms | {(values.Count == 0 ? double.NaN : values.Max()):F1} ms | {(transactions is { } t ? t.ToString("F1", CultureInfo.InvariantCulture) : "")} | {goal} |");

// The 1, 5 and 15 minute load averages: the figures are only as good as the machine was quiet.
static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

/// <summary>Times every request to the app, from sending it to having its whole answer, with its step and path.</summary>
internal sealed class TimingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private ConcurrentQueue<(int Step, string Path, int Status, double Milliseconds)> _samples = new();

    /// <summary>The step now running: every call's same step runs at once, so requests belong to it.</summary>
    public volatile int Step;

    public IEnumerable<(int Step, string Path, int Status, double Milliseconds)> Samples => _samples;

    public void Clear() => _samples = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var step = Step;
        var started = Stopwatch.GetTimestamp();
        var response = await base.SendAsync(request, cancellationToken);
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        _samples.Enqueue((step, request.RequestUri!.IsAbsoluteUri ? request.RequestUri.AbsolutePath : request.RequestUri.OriginalString.Split('?')[0],
            (int)response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
        return response;
    }
}

// Voice calls starting all at once against the real app on Azurite, through the local Functions host: Twilio's
// signed webhooks over loopback HTTP to the host's public port, which invokes the function over gRPC and proxies the
// request to the worker. The worker (built by HotlineWorker.Build, as in production) runs in this process so that
// storage transactions can be counted in the Azure SDK pipeline. Each call is a SimulatedCall (Twilio's part: its
// own CallSid and caller number, every answer required to be 200 with documented TwiML). Measures each webhook's
// answer time on the client side, from the request to the full answer, for the call starts fired at once and for
// the next steps of the same calls, also fired at once. Writes bench/results/voice.md; exits 1 on any failed answer.
// To show where the time goes, it also times the same steps one call at a time (no queueing), the time inside the
// worker's function pipeline and in storage requests, and the CPU time of this process and of Azurite per answer.
//   VoiceLoad --storage CONNECTION_STRING [--calls 100] [--warmup 10] [--one-by-one 20] [--azurite-pid PID] [--out FILE]
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Hotline.Functions;
using Hotline.Functions.Dev;
using Hotline.Functions.Dev.CallFlow;
using Hotline.Functions.Voice;
using Hotline.Privacy;
using Hotline.Roster;
using LocalFunctionsHost;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
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
    Console.Error.WriteLine("usage: VoiceLoad --storage CONNECTION_STRING [--calls 100] [--warmup 10] [--one-by-one 20] [--azurite-pid PID] [--out FILE]");
    return 2;
}

var callCount = int.Parse(Option("calls", "100"), CultureInfo.InvariantCulture);
var warmUpCount = int.Parse(Option("warmup", "10"), CultureInfo.InvariantCulture);
var oneByOneCount = int.Parse(Option("one-by-one", "20"), CultureInfo.InvariantCulture);
using var azurite = options.TryGetValue("azurite-pid", out var pid) ? Process.GetProcessById(int.Parse(pid, CultureInfo.InvariantCulture)) : null;
const string AuthToken = "bench-auth-token";
const string PublicBase = "https://hotline.example.org";
// A number mapped to Romanian (its callers hear the safety line at once) and the general number (the language menu).
const string RomanianLine = "+40312345678";
const string GeneralLine = "+442071234567";
const double GoalMs = 100;
var loadBefore = LoadAverage();

// Twilio's REST API, as the app rings counsellors' phones through it: the simulated account every call comes in to.
SimulatedTwilio? account = null;
var twilioApiBuilder = WebApplication.CreateSlimBuilder();
twilioApiBuilder.WebHost.UseUrls("http://127.0.0.1:0");
twilioApiBuilder.Logging.ClearProviders();
await using var twilioApi = twilioApiBuilder.Build();
twilioApi.Map("/2010-04-01/{**rest}", (HttpRequest request, CancellationToken ct) => SimulatedTwilioApi.ServeAsync(account!, request, request.Path, ct));
await twilioApi.StartAsync();

var tablePrefix = "bench" + Guid.NewGuid().ToString("N")[..8];
var counter = new TransactionCounter { NamePrefix = tablePrefix };
var timings = new TimingHandler(new SocketsHttpHandler { MaxConnectionsPerServer = 256 });
// Time from the invocation reaching the worker's function pipeline to the function's end, by step.
var inWorker = new ConcurrentQueue<(int Step, double Milliseconds)>();
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
        ["Storage:TablePrefix"] = tablePrefix,
        ["Secrets:Provider"] = "Local",
        ["Secrets:LocalFile"] = Path.Combine(Path.GetTempPath(), $"hotline-bench-{Guid.NewGuid():N}.json"),
        ["Twilio:AuthToken"] = AuthToken,
        ["Twilio:AccountSid"] = TwilioSimulator.DevAccountSid,
        ["Twilio:ApiBaseUrl"] = twilioApi.Urls.First(),
        ["Hotline:PublicBaseUrl"] = PublicBase,
        ["Sms:Numbers"] = RomanianLine + "=ro",
    },
    Launcher = new InProcessWorkerLauncher(start => HotlineWorker.Build(new HotlineAppHooks
    {
        ConfigureWorker = worker =>
        {
            InProcessWorker.RunExtensionStartup(worker, typeof(HotlineWorker).Assembly);
            worker.Use(next => async context =>
            {
                var step = timings.Step;
                var started = Stopwatch.GetTimestamp();
                await next(context);
                inWorker.Enqueue((step, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
            });
        },
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
using var http = new HttpClient(timings) { BaseAddress = host.BaseAddress };
account = new SimulatedTwilio(http, new SimulatedCallOptions { PublicBase = new Uri(PublicBase), AuthToken = AuthToken });
var errors = new ConcurrentQueue<string>();

// Warm-up (JIT, connection pools, thread pool), as on an instance that is already serving: the same steps, not measured.
await CallsAsync("warm-up", 0, warmUpCount, i => string.Create(CultureInfo.InvariantCulture, $"+40710{i:D6}"), atOnce: true);
timings.Clear();
inWorker.Clear();

var results = await CallsAsync("measured", 0, callCount, i => string.Create(CultureInfo.InvariantCulture, $"+40720{i:D6}"), atOnce: true);
var loadAfter = LoadAverage();
// The rig's floor: as many call starts at once, refused at the signature check before any storage request. The first
// round opens the connections; the second is measured.
using var unsigned = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = host.BaseAddress };
await RefusedAsync(callCount);
var floor = await RefusedAsync(callCount);
// The same steps one call at a time: each answer's own cost, without waiting behind the others.
var alone = await CallsAsync("one by one", 10, oneByOneCount, i => string.Create(CultureInfo.InvariantCulture, $"+40730{i:D6}"), atOnce: false);

var samples = timings.Samples.ToList();
var rows = new StringBuilder()
    .AppendLine("| step | answers | p50 | p95 | p99 | max | goal |")
    .AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    .Append(Row($"1. call start, {callCount} at once (`/api/twilio/voice`)", Step(1, null), $"p99 < {GoalMs} ms"))
    .Append(Row($"2. all second steps, {callCount} at once", Step(2, null), $"p99 < {GoalMs} ms"))
    .Append(Row("2a. menu key: safety line (`/menu`)", Step(2, "/api/twilio/voice/menu"), ""))
    .Append(Row("2b. safety line over: into the call's queue (`/safety`)", Step(2, "/api/twilio/voice/safety"), ""))
    .Append(Row("2c. the queue's first wait: waiting message, counsellors rung (`/wait`)", Step(2, "/api/twilio/voice/wait"), ""))
    .Append(Row($"3. menu callers' safety line over: queue and ring, {results[2].Answers} calls at once (`/safety`, `/wait`)", Step(3, null), $"p99 < {GoalMs} ms"))
    .Append(Row("3a. into the call's queue (`/safety`)", Step(3, "/api/twilio/voice/safety"), ""))
    .Append(Row("3b. first wait: counsellors rung (`/wait`)", Step(3, "/api/twilio/voice/wait"), ""))
    .Append(Row($"0. floor: {callCount} call starts at once refused at the signature check (no storage, no TwiML)", floor, ""))
    .Append(Row("1. call start, one call at a time", Step(11, null), "(no queueing)"))
    .Append(Row("2a. menu key, one at a time", Step(12, "/api/twilio/voice/menu"), "(no queueing)"))
    .Append(Row("2b./3a. safety: into the queue, one at a time", [.. Step(12, "/api/twilio/voice/safety"), .. Step(13, "/api/twilio/voice/safety")], "(no queueing)"))
    .Append(Row("2c./3b. first wait: ring, one at a time", [.. Step(12, "/api/twilio/voice/wait"), .. Step(13, "/api/twilio/voice/wait")], "(no queueing)"))
    .ToString();
var costs = new StringBuilder()
    .AppendLine("| step | wall time of the step | p50 answer time in the worker's function pipeline | storage transactions per answer | storage wait per answer | CPU per answer: this process (client, host, worker) | CPU per answer: Azurite |")
    .AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
foreach (var (label, cost) in new[] { ("1. call start, at once", results[0]), ("2. second step, at once", results[1]), ("3. safety and first wait, at once", results[2]), ("1. call start, one at a time", alone[0]), ("2. second step, one at a time", alone[1]), ("3. safety and first wait, one at a time", alone[2]) }.Where(c => c.Item2.Answers > 0))
{
    costs.AppendLine(CultureInfo.InvariantCulture,
        $"| {label} | {cost.Wall.TotalMilliseconds:F0} ms | {Percentile([.. inWorker.Where(w => w.Step == cost.Step).Select(w => w.Milliseconds)], 0.5):F1} ms | {cost.Transactions:F1} | {cost.StorageWait:F1} ms | {cost.ProcessCpu:F1} ms | {(azurite is null ? "" : cost.AzuriteCpu.ToString("F1", CultureInfo.InvariantCulture) + " ms")} |");
}

var startP99 = Percentile(Step(1, null), 0.99);
var secondP99 = Percentile(Step(2, null), 0.99);
var met = startP99 < GoalMs;
var failed = errors.Count > 0 || samples.Any(s => s.Status != 200);
var report = new StringBuilder()
    .AppendLine(CultureInfo.InvariantCulture, $"{callCount} calls from distinct callers, every second one to a number mapped to Romanian (safety line first) and the others to the general number (language menu first); {Environment.ProcessorCount} cores (load generator, local Functions host, app and Azurite share them); {RuntimeInformation.FrameworkDescription}. Webhooks over loopback HTTP to the host, which invokes the function over gRPC and proxies the request to the worker; answer time measured by the client from the request to the full answer. After a warm-up of {warmUpCount} calls through the same steps (a running instance, not a cold start), each step of every call is fired at once:")
    .AppendLine()
    .AppendLine(CultureInfo.InvariantCulture, $"1. the {callCount} calls come in (`/api/twilio/voice`): conversation created, menu or safety line;")
    .AppendLine(CultureInfo.InvariantCulture, $"2. their second step: the menu callers press a language key (`/menu`: the safety line in that language), the others let the safety line pass (`/safety`: into the call's queue), and Twilio fetches the queue's wait step at once (`/wait`: roster read, ring round saved, counsellors' phones rung through the REST API of a simulated Twilio account on loopback, the calls noted);")
    .AppendLine(CultureInfo.InvariantCulture, $"3. the menu callers let the safety line pass (`/safety`, then `/wait`).")
    .AppendLine()
    .AppendLine(CultureInfo.InvariantCulture, $"Then {oneByOneCount} more calls go through the same steps one call at a time, for each answer's cost without queueing.")
    .AppendLine()
    .Append(rows)
    .AppendLine()
    .AppendLine(CultureInfo.InvariantCulture, $"Answers: {samples.Count}, of which not 200: {samples.Count(s => s.Status != 200)}; calls failed (non-200, not TwiML, or TwiML Twilio does not document; every answer was checked): {errors.Count}.  ")
    .AppendLine(CultureInfo.InvariantCulture, $"Goal (call start p99 < {GoalMs} ms): **{(met ? "met" : "not met")}** ({startP99:F1} ms); second step p99 {secondP99:F1} ms; the floor of this machine (row 0) p99 {Percentile(floor, 0.99):F1} ms.")
    .AppendLine()
    .AppendLine("Where the time goes (storage: every request the worker made to Azurite while the step ran, a background sweep may add a few; CPU: user and system time over the step, divided by its answers):")
    .AppendLine()
    .Append(costs)
    .AppendLine()
    .AppendLine("Storage requests per answer, by kind (measured steps, all at once):")
    .AppendLine()
    .AppendLine(CultureInfo.InvariantCulture, $"- call start: {results[0].Kinds};")
    .AppendLine(CultureInfo.InvariantCulture, $"- menu key (one call in two) and safety line over (the other): {results[1].Kinds};")
    .AppendLine(CultureInfo.InvariantCulture, $"- safety line over, then the first wait: {results[2].Kinds}.")
    .ToString();
Console.Write(report);
foreach (var error in errors.Take(5))
{
    Console.Error.WriteLine(error);
}

if (options.TryGetValue("out", out var outFile))
{
    var shown = args.Where((a, i) => !IsHidden(a) && (i == 0 || !IsHidden(args[i - 1]))).Select(a => " " + a);
    await File.WriteAllTextAsync(outFile, "# Voice webhooks under load\n\nWritten by `bench/voice.sh" + string.Concat(shown)
        + "` on " + DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)
        + $"; nproc {Environment.ProcessorCount}; load average (1, 5, 15 min) before: {loadBefore}, after the measured calls: {loadAfter}.\n\n" + report);
}

await host.DisposeAsync();
if (failed)
{
    Console.Error.WriteLine($"FAILED: {errors.Count} calls failed, {samples.Count(s => s.Status != 200)} answers not 200.");
    return 1;
}

return 0;

static bool IsHidden(string option) => option is "--storage" or "--out" or "--azurite-pid";

List<double> Step(int step, string? path) =>
    [.. samples.Where(s => s.Step == step && (path is null || s.Path == path)).Select(s => s.Milliseconds)];

// Runs the calls' steps, each step of all calls at once (or one call at a time); returns what each step cost.
async Task<StepCost[]> CallsAsync(string label, int stepOffset, int count, Func<int, string> caller, bool atOnce)
{
    var calls = new SimulatedCall?[count];
    var menuCallers = Enumerable.Range(0, count).Where(i => i % 2 == 1).ToList();
    var first = await StepAsync(stepOffset + 1, Enumerable.Range(0, count), async i =>
        calls[i] = await account!.StartCallAsync(caller(i), i % 2 == 0 ? RomanianLine : GeneralLine));
    var second = await StepAsync(stepOffset + 2, Enumerable.Range(0, count).Where(i => calls[i] is not null), i =>
        i % 2 == 0 ? Expect(calls[i]!.StayQuietAsync(), calls[i]!, CallState.Queued) : Expect(calls[i]!.PressAsync(menu[i / 2 % menu.Count].Key), calls[i]!, CallState.WaitingForKeys));
    var third = await StepAsync(stepOffset + 3, menuCallers.Where(i => calls[i] is not null), i => Expect(calls[i]!.StayQuietAsync(), calls[i]!, CallState.Queued));
    // Each caller hangs up (not measured): their phones stop ringing, and the next calls start from a quiet account.
    timings.Step = 0;
    foreach (var call in calls.Where(c => c is { State: CallState.Queued }))
    {
        await call!.HangUpAsync();
    }

    return [first, second, third];

    async Task<StepCost> StepAsync(int step, IEnumerable<int> indexes, Func<int, Task> run)
    {
        var before = (counter.Count, counter.Waited, Kinds: counter.ByKind.ToDictionary(), Cpu: Process.GetCurrentProcess().TotalProcessorTime, Azurite: AzuriteCpu());
        var clock = Stopwatch.StartNew();
        timings.Step = step;
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var chosen = indexes.ToList();
        var tasks = new List<Task>();
        foreach (var i in chosen)
        {
            var task = Task.Run(async () =>
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
            });
            tasks.Add(task);
            if (!atOnce)
            {
                go.TrySetResult();
                await task;
            }
        }

        go.TrySetResult();
        await Task.WhenAll(tasks);
        var wall = clock.Elapsed;
        var n = Math.Max(1, chosen.Count);
        var kinds = counter.ByKind.Select(k => (k.Key, Count: k.Value - before.Kinds.GetValueOrDefault(k.Key))).Where(k => k.Count > 0)
            .OrderByDescending(k => k.Count).Select(k => string.Create(CultureInfo.InvariantCulture, $"{k.Key} {(double)k.Count / n:0.##}"));
        return new StepCost(step, chosen.Count, wall, (double)(counter.Count - before.Count) / n, (counter.Waited - before.Waited).TotalMilliseconds / n,
            (Process.GetCurrentProcess().TotalProcessorTime - before.Cpu).TotalMilliseconds / n, (AzuriteCpu() - before.Azurite).TotalMilliseconds / n,
            string.Join(", ", kinds));
    }
}

// Call starts that the app refuses at its first check (a wrong signature): the host, the gRPC invocation, the
// worker's pipeline and the form read, without storage; each must be a 403.
async Task<List<double>> RefusedAsync(int count)
{
    var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    var tasks = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
    {
        await go.Task;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/twilio/voice")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["CallSid"] = "CA" + Guid.NewGuid().ToString("N"),
                ["From"] = string.Create(CultureInfo.InvariantCulture, $"+40740{i:D6}"),
                ["To"] = RomanianLine,
                ["CallStatus"] = "ringing",
            }),
        };
        request.Headers.Add("X-Twilio-Signature", "bm90IGEgc2lnbmF0dXJl");
        var started = Stopwatch.GetTimestamp();
        using var response = await unsigned.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        if (response.StatusCode != System.Net.HttpStatusCode.Forbidden)
        {
            errors.Enqueue($"floor request {i}: expected 403, got {(int)response.StatusCode}");
        }

        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    })).ToList();
    go.TrySetResult();
    return [.. await Task.WhenAll(tasks)];
}

TimeSpan AzuriteCpu()
{
    azurite?.Refresh();
    return azurite?.TotalProcessorTime ?? TimeSpan.Zero;
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

// A step with no answers (e.g. --one-by-one 0) has no row.
static string Row(string name, IReadOnlyCollection<double> values, string goal) => values.Count == 0 ? "" :
    string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {values.Count} | {Percentile(values, 0.5):F1} ms | {Percentile(values, 0.95):F1} ms | {Percentile(values, 0.99):F1} ms | {(values.Count == 0 ? double.NaN : values.Max()):F1} ms | {goal} |\n");

// The 1, 5 and 15 minute load averages: the figures are only as good as the machine was quiet.
static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

/// <summary>What one step of the calls cost, per answer (each step makes one request per call).</summary>
internal sealed record StepCost(int Step, int Answers, TimeSpan Wall, double Transactions, double StorageWait, double ProcessCpu, double AzuriteCpu, string Kinds);

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

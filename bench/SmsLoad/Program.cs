// Sustained inbound SMS against the real app on Azurite, through the local Functions host: signed webhooks over
// loopback HTTP to the host's public port, which invokes the function over gRPC and proxies the request to the
// worker; queue and timer triggers driven by the host. The worker (built by HotlineWorker.Build, as in production)
// runs in this process so that storage transactions can be counted in the Azure SDK pipeline. Measures webhook
// latency at a fixed arrival rate, the time from a new conversation's first message to its offer to a counsellor,
// and storage transactions per inbound message of an existing conversation. Writes bench/results/sms.md.
//   SmsLoad --storage CONNECTION_STRING [--rate 100] [--seconds 20] [--callers 200] [--out FILE]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Hotline.Conversations;
using Hotline.Functions;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Twilio;
using LocalFunctionsHost;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var options = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(x => x.a[2..], x => x.i + 1 < args.Length ? args[x.i + 1] : "");
string Option(string name, string fallback) => options.TryGetValue(name, out var v) ? v : fallback;
var storage = Option("storage", "");
if (storage.Length == 0)
{
    Console.Error.WriteLine("usage: SmsLoad --storage CONNECTION_STRING [--rate 100] [--seconds 20] [--callers 200] [--out FILE]");
    return 2;
}

var rate = int.Parse(Option("rate", "100"), CultureInfo.InvariantCulture);
var seconds = int.Parse(Option("seconds", "20"), CultureInfo.InvariantCulture);
var callerCount = int.Parse(Option("callers", "200"), CultureInfo.InvariantCulture);
const string AuthToken = "bench-auth-token";
const string PublicBase = "https://hotline.example.org";
var loadBefore = LoadAverage();

var counter = new TransactionCounter();
// Warnings and errors of the host and the worker (the worker's logs reach the host over gRPC, as in Azure).
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
        // The counsellors' consoles are opened once below; they stay present for the whole run.
        ["Routing:PresenceWindow"] = "01:00:00",
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
var roster = services.GetRequiredService<IRosterStore>();
var store = services.GetRequiredService<IConversationStore>();
var pseudonymizer = services.GetRequiredService<CallerPseudonymizer>();
const int WarmUpCallers = 100;
var mixedNew = rate * seconds / 10;
var capacity = (WarmUpCallers + callerCount + mixedNew) / 10 + 10;
for (var i = 0; i < 10; i++)
{
    await roster.SaveAsync(new Counsellor($"ro-{i}", $"Counsellor {i}", ["ro"], OnCall: true, Capacity: capacity));
}

// Each counsellor's console signs in and polls once (what makes them present: offers go only to who can see them).
using (var consoles = new HttpClient { BaseAddress = host.BaseAddress })
{
    for (var i = 0; i < 10; i++)
    {
        var signIn = await consoles.PostAsJsonAsync("/api/dev/token", new { user = $"ro-{i}", roles = new[] { "counsellor" } });
        var token = (await signIn.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        using var poll = new HttpRequestMessage(HttpMethod.Get, "/api/conversations");
        poll.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        (await consoles.SendAsync(poll)).EnsureSuccessStatusCode();
    }
}

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = host.BaseAddress };
const string FirstText = "Bună ziua, am nevoie de ajutor, lucrez la fermă";
const string LaterText = "Mai am o întrebare despre salariu";
string Number(int block, int i) => string.Create(CultureInfo.InvariantCulture, $"+40{72 + block}{i:D7}");

// Warm-up (JIT, connection pools, thread pool), as on an instance that is already serving: not measured. Both
// paths are warmed, first messages and later ones, so no phase pays for compiling the other's code.
await RunAsync(WarmUpCallers, i => Number(0, i), _ => FirstText);
await WaitUntilOfferedAsync(WarmUpCallers);
await RunAsync(WarmUpCallers * 3, i => Number(0, i % WarmUpCallers), _ => LaterText);

// Phase 1, worst case: a burst of brand-new conversations at the full rate.
var burstCallers = Enumerable.Range(0, callerCount).Select(i => Number(1, i)).ToList();
var burst = await RunAsync(callerCount, i => burstCallers[i], _ => FirstText);
var burstToOffered = await OfferDelaysAsync(burstCallers, WarmUpCallers + callerCount);

// Phase 2: messages into existing conversations only, counting storage transactions.
var before = counter.Count;
var existing = await RunAsync(rate * seconds, i => burstCallers[i % callerCount], _ => LaterText);
await Task.Delay(1000); // let anything the messages started finish
var perMessage = (double)(counter.Count - before) / (rate * seconds);

// Phase 3, the expected shape of traffic: one message in ten starts a conversation.
var mixedCallers = Enumerable.Range(0, mixedNew).Select(i => Number(2, i)).ToList();
var mixed = await RunAsync(rate * seconds, i => i % 10 == 0 ? mixedCallers[i / 10] : burstCallers[i % callerCount],
    i => i % 10 == 0 ? FirstText : LaterText);
var mixedToOffered = await OfferDelaysAsync(mixedCallers, WarmUpCallers + callerCount + mixedNew);

var report = new StringBuilder()
    .AppendLine(CultureInfo.InvariantCulture, $"Arrival rate {rate}/s; {Environment.ProcessorCount} cores (load generator, local Functions host, app and Azurite share them); webhooks over loopback HTTP to the host, which invokes the function over gRPC and proxies the request to the worker. After a warm-up of {WarmUpCallers} conversations:")
    .AppendLine()
    .AppendLine(CultureInfo.InvariantCulture, $"1. **burst**: {callerCount} new conversations at {rate}/s (every message starts a conversation: the worst case);")
    .AppendLine(CultureInfo.InvariantCulture, $"2. **existing**: {rate * seconds} messages over {seconds} s into those conversations;")
    .AppendLine(CultureInfo.InvariantCulture, $"3. **mixed**: {rate * seconds} messages over {seconds} s, one in ten from a new caller ({mixedNew} new conversations).")
    .AppendLine()
    .AppendLine("| measure | p50 | p99 | max | goal |")
    .AppendLine("| --- | ---: | ---: | ---: | --- |")
    .AppendLine(Row("webhook answer, existing", existing.Latencies, "p99 < 50 ms"))
    .AppendLine(Row("webhook answer, mixed", mixed.Latencies, "p99 < 50 ms"))
    .AppendLine(Row("inbound to offered, mixed", mixedToOffered, "p99 < 1000 ms"))
    .AppendLine(Row("webhook answer, burst", burst.Latencies, "(worst case)"))
    .AppendLine(Row("inbound to offered, burst", burstToOffered, "(worst case)"))
    .AppendLine()
    .AppendLine(CultureInfo.InvariantCulture, $"Achieved rate: existing {existing.AchievedRate:F1}/s, mixed {mixed.AchievedRate:F1}/s; errors: {burst.Errors + existing.Errors + mixed.Errors}.  ")
    .AppendLine(CultureInfo.InvariantCulture, $"Storage transactions per inbound message of an existing conversation: {perMessage:F2} (goal ≤ 6; includes the 15-second re-routing sweep).")
    .ToString();
Console.Write(report);
if (options.TryGetValue("out", out var outFile))
{
    await File.WriteAllTextAsync(outFile, "# Inbound SMS under load\n\nWritten by `bench/sms.sh` on "
        + DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)
        + $"; load average (1, 5, 15 min) before: {loadBefore}, after: {LoadAverage()}.\n\n" + report);
}

await host.DisposeAsync();
return 0;

async Task WaitUntilOfferedAsync(int total)
{
    var deadline = DateTime.UtcNow.AddSeconds(60);
    while ((await store.ListOpenSummariesAsync()).Count(c => c.Status == ConversationStatus.Offered) < total && DateTime.UtcNow < deadline)
    {
        await Task.Delay(250);
    }
}

// Time from each caller's first message to the offer of their conversation to a counsellor.
async Task<List<double>> OfferDelaysAsync(IEnumerable<string> numbers, int totalOffered)
{
    await WaitUntilOfferedAsync(totalOffered);
    var pseudonyms = new HashSet<string>(StringComparer.Ordinal);
    foreach (var number in numbers)
    {
        pseudonyms.Add(await pseudonymizer.PseudonymOfAsync(number));
    }

    return (await store.ListOpenAsync())
        .Where(c => c.Status == ConversationStatus.Offered && pseudonyms.Contains(c.CallerPseudonym))
        .Select(c => (c.Hops.First(h => h.Reason.StartsWith("offered", StringComparison.Ordinal)).At - c.CreatedAt).TotalMilliseconds)
        .ToList();
}

async Task<(List<double> Latencies, double AchievedRate, int Errors)> RunAsync(int count, Func<int, string> caller, Func<int, string> text)
{
    var latencies = new double[count];
    var errors = 0;
    var clock = Stopwatch.StartNew();
    var tasks = new List<Task>(count);
    for (var i = 0; i < count; i++)
    {
        var due = TimeSpan.FromSeconds((double)i / rate);
        if (due > clock.Elapsed)
        {
            await Task.Delay(due - clock.Elapsed);
        }

        var index = i;
        tasks.Add(Task.Run(async () =>
        {
            var started = Stopwatch.GetTimestamp();
            var ok = await SendAsync(caller(index), text(index));
            latencies[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (!ok)
            {
                Interlocked.Increment(ref errors);
            }
        }));
    }

    await Task.WhenAll(tasks);
    return (latencies.ToList(), count / clock.Elapsed.TotalSeconds, errors);
}

async Task<bool> SendAsync(string from, string body)
{
    var form = new Dictionary<string, string>
    {
        ["MessageSid"] = "SM" + Guid.NewGuid().ToString("N"), ["From"] = from, ["To"] = "+442071234567", ["Body"] = body,
    };
    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/twilio/sms") { Content = new FormUrlEncodedContent(form) };
    request.Headers.Add(TwilioWebhookSignature.HeaderName, Sign(PublicBase + "/api/twilio/sms", form, AuthToken));
    using var response = await http.SendAsync(request);
    return response.IsSuccessStatusCode;
}

static string Row(string name, IReadOnlyCollection<double> values, string goal)
{
    var sorted = values.Order().ToList();
    double At(double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    return string.Create(CultureInfo.InvariantCulture, $"| {name} | {At(0.5):F1} ms | {At(0.99):F1} ms | {sorted.LastOrDefault():F1} ms | {goal} |");
}

// Signs as Twilio does: HMAC-SHA1 keyed with the auth token over the URL followed by each form name and value,
// sorted by name. (The Twilio SDK only validates signatures.)
static string Sign(string url, Dictionary<string, string> form, string authToken)
{
    var data = new StringBuilder(url);
    foreach (var (name, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal))
    {
        data.Append(name).Append(value);
    }

    return Convert.ToBase64String(System.Security.Cryptography.HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
}

// The 1, 5 and 15 minute load averages: the figures are only as good as the machine was quiet.
static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

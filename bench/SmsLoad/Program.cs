// Sustained inbound SMS against the real app (built as in production, local Functions host on) on Azurite:
// webhook latency at a fixed arrival rate, time from a new conversation's first message to its offer to a
// counsellor, and storage transactions per inbound message of an existing conversation (counted in the Azure SDK
// pipeline). Writes bench/results/sms.md.
//   SmsLoad --storage CONNECTION_STRING [--rate 100] [--seconds 20] [--callers 200] [--out FILE]
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Hotline.Conversations;
using Hotline.Functions;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Twilio;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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

var counter = new TransactionCounter();
var port = FreePort();
var app = HotlineApp.Build(
    ["--environment", "Development", "--urls", $"http://127.0.0.1:{port}"],
    new HotlineAppHooks
    {
        ConfigureBuilder = b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage"] = storage,
                ["Storage:TablePrefix"] = "bench" + Guid.NewGuid().ToString("N")[..8],
                ["Secrets:LocalFile"] = Path.Combine(Path.GetTempPath(), $"hotline-bench-{Guid.NewGuid():N}.json"),
                ["Twilio:AuthToken"] = AuthToken,
                ["Hotline:PublicBaseUrl"] = PublicBase,
                // The counsellors' consoles are opened once below; they stay present for the whole run.
                ["Routing:PresenceWindow"] = "01:00:00",
            });
            b.Logging.SetMinimumLevel(LogLevel.Warning);
        },
        StoragePipelinePolicy = counter,
    });
await app.StartAsync();
await app.Services.GetRequiredService<Hotline.Functions.Configuration.StorageStartup>().Ready;
var roster = app.Services.GetRequiredService<IRosterStore>();
var store = app.Services.GetRequiredService<IConversationStore>();
var pseudonymizer = app.Services.GetRequiredService<CallerPseudonymizer>();
const int WarmUpCallers = 100;
var mixedNew = rate * seconds / 10;
var capacity = (WarmUpCallers + callerCount + mixedNew) / 10 + 10;
for (var i = 0; i < 10; i++)
{
    await roster.SaveAsync(new Counsellor($"ro-{i}", $"Counsellor {i}", ["ro"], OnCall: true, Capacity: capacity));
}

// Each counsellor's console signs in and polls once (what makes them present: offers go only to who can see them).
using (var consoles = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") })
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

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
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
    .AppendLine(CultureInfo.InvariantCulture, $"Arrival rate {rate}/s; {Environment.ProcessorCount} cores (load generator, app and Azurite share them). After a warm-up of {WarmUpCallers} conversations:")
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
        + DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) + ".\n\n" + report);
}

await app.StopAsync();
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
    request.Headers.Add(TwilioWebhookSignature.HeaderName, TwilioWebhookSignature.Compute(PublicBase + "/api/twilio/sms", form, AuthToken));
    using var response = await http.SendAsync(request);
    return response.IsSuccessStatusCode;
}

static string Row(string name, IReadOnlyCollection<double> values, string goal)
{
    var sorted = values.Order().ToList();
    double At(double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    return string.Create(CultureInfo.InvariantCulture, $"| {name} | {At(0.5):F1} ms | {At(0.99):F1} ms | {sorted.LastOrDefault():F1} ms | {goal} |");
}

static int FreePort()
{
    using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    listener.Start();
    return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
}

/// <summary>Counts every storage request (each retry too): one storage transaction each.</summary>
internal sealed class TransactionCounter : HttpPipelinePolicy
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _count);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _count);
        return ProcessNextAsync(message, pipeline);
    }
}

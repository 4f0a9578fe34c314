// Sustained inbound SMS against the real app (built as in production, local Functions host on) on Azurite:
// webhook latency at a fixed arrival rate, time from a new conversation's first message to its offer to a
// counsellor, and storage transactions per inbound message of an existing conversation (counted in the Azure SDK
// pipeline). Writes bench/results/sms.md.
//   SmsLoad --storage CONNECTION_STRING [--rate 100] [--seconds 20] [--callers 200] [--out FILE]
using System.Diagnostics;
using System.Globalization;
using System.Text;
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
            });
            b.Logging.SetMinimumLevel(LogLevel.Warning);
        },
        StoragePipelinePolicy = counter,
    });
await app.StartAsync();
await app.Services.GetRequiredService<Hotline.Functions.Configuration.StorageStartup>().Ready;
var roster = app.Services.GetRequiredService<IRosterStore>();
for (var i = 0; i < 10; i++)
{
    await roster.SaveAsync(new Counsellor($"ro-{i}", $"Counsellor {i}", ["ro"], OnCall: true, Capacity: callerCount / 10 + 5));
}

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
var callers = Enumerable.Range(0, callerCount).Select(i => $"+4072{i:D7}").ToList();

// Phase 1: every caller's first message (new conversations), at the target rate.
var firstLatencies = await RunAsync(callers.Count, i => callers[i], "Bună ziua, am nevoie de ajutor, lucrez la fermă");
var store = app.Services.GetRequiredService<IConversationStore>();
var pseudonymizer = app.Services.GetRequiredService<CallerPseudonymizer>();
var deadline = DateTime.UtcNow.AddSeconds(60);
List<Conversation> open;
do
{
    await Task.Delay(500);
    open = (await store.ListOpenAsync()).ToList();
}
while (open.Count(c => c.Status == ConversationStatus.Offered) < callerCount && DateTime.UtcNow < deadline);
var toAssigned = open.Where(c => c.Status == ConversationStatus.Offered)
    .Select(c => (c.Hops.First(h => h.Reason.StartsWith("offered", StringComparison.Ordinal)).At - c.CreatedAt).TotalMilliseconds)
    .ToList();

// Phase 2: sustained messages into existing conversations; count storage transactions meanwhile.
var before = counter.Count;
var sustained = await RunAsync(rate * seconds, i => callers[i % callerCount], "Mai am o întrebare despre salariu");
await Task.Delay(1000); // let anything the messages started finish
var perMessage = (double)(counter.Count - before) / (rate * seconds);

var report = new StringBuilder()
    .AppendLine(CultureInfo.InvariantCulture, $"Arrival rate {rate}/s; {callerCount} callers; {rate * seconds} messages into existing conversations over {seconds} s; {Environment.ProcessorCount} cores.")
    .AppendLine()
    .AppendLine("| measure | p50 | p99 | max | goal |")
    .AppendLine("| --- | ---: | ---: | ---: | --- |")
    .AppendLine(Row("webhook answer, new conversation", firstLatencies.Latencies, "p99 < 50 ms"))
    .AppendLine(Row("webhook answer, existing conversation", sustained.Latencies, "p99 < 50 ms"))
    .AppendLine(Row("inbound to offered (new conversation)", toAssigned, "p99 < 1000 ms"))
    .AppendLine()
    .AppendLine(CultureInfo.InvariantCulture, $"Achieved rate: {sustained.AchievedRate:F1} requests/s; errors: {sustained.Errors}.  ")
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

async Task<(List<double> Latencies, double AchievedRate, int Errors)> RunAsync(int count, Func<int, string> caller, string text)
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
            var ok = await SendAsync(caller(index), text);
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

using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Hotline.Functions.Dev.CallFlow;

/// <summary>A named call queue in the simulated account (created by &lt;Enqueue&gt;, deleted through the REST API).</summary>
/// <param name="MemberCallSids">The calls waiting, first in line first.</param>
public sealed record QueueView(string Sid, string Name, IReadOnlyList<string> MemberCallSids);

/// <summary>One request the app made to the simulated REST API, with the status it was answered.</summary>
public sealed record ApiRequest(string Method, string Path, IReadOnlyList<KeyValuePair<string, string>> Form, int Status)
{
    /// <summary>The form value sent for <paramref name="name"/> (the last one), or null.</summary>
    public string? this[string name] => Form.Where(p => p.Key == name).Select(p => p.Value).LastOrDefault();

    public override string ToString() => $"{Method} {Path} {string.Join("&", Form.Select(p => p.Key + "=" + p.Value))} → {Status}";
}

/// <summary>The simulated REST API's answer: a status and a JSON body (null for 204).</summary>
public sealed record ApiAnswer(int Status, string? Json);

/// <summary>
/// One simulated Twilio account: the calls coming in (<see cref="SimulatedCall"/>), the calls the app creates through
/// the REST API (<see cref="OutboundCall"/>), the named queues, and one clock of whole seconds they all share. The clock
/// moves only when a test (or the call page) says so: <see cref="SimulatedCall.WaitAsync"/>, <see cref="PassTimeAsync"/>,
/// pauses and timeouts. The REST API (<see cref="HandleApiAsync"/>) is a plain method, mounted by whatever serves HTTP.
/// </summary>
/// <remarks>
/// The app calls the REST API while Twilio waits for its answer to a webhook (a waitUrl request, typically), so the
/// REST handling never waits for a call's step: it only takes the account's own short lock and each call's state lock.
/// </remarks>
public sealed class SimulatedTwilio
{
    /// <summary>Twilio's default queue size (the &lt;Enqueue&gt; page; changeable through the REST API).</summary>
    public const int DefaultMaxQueueSize = 1000;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly object _lock = new();
    private readonly List<OutboundCall> _calls = [];
    private readonly List<SimulatedCall> _incoming = [];
    private readonly Dictionary<string, Queue> _queues = new(StringComparer.Ordinal);
    private readonly List<ApiRequest> _api = [];

    /// <param name="app">An HttpClient whose BaseAddress is the app on loopback.</param>
    /// <param name="options">The account (AccountSid, AuthToken), where the app is (PublicBase), and the defaults of the
    /// calls coming in (From, To, VoicePath, StatusCallbackPath).</param>
    public SimulatedTwilio(HttpClient app, SimulatedCallOptions options)
    {
        Options = options with { Account = null };
        App = app;
        Webhooks = new CallWebhooks(app, Options);
    }

    public SimulatedCallOptions Options { get; }

    public string AccountSid => Options.AccountSid;

    /// <summary>Seconds on the account's clock since it was made.</summary>
    public long Seconds => Clock.Seconds;

    /// <summary>The calls the app created through the REST API, oldest first.</summary>
    public IReadOnlyList<OutboundCall> Calls
    {
        get
        {
            lock (_lock)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>The calls that came in to the app, oldest first.</summary>
    public IReadOnlyList<SimulatedCall> Incoming
    {
        get
        {
            lock (_lock)
            {
                return [.. _incoming];
            }
        }
    }

    public IReadOnlyList<QueueView> Queues
    {
        get
        {
            lock (_lock)
            {
                return [.. _queues.Values.Select(q => new QueueView(q.Sid, q.Name, [.. q.Members.Select(m => m.CallSid)]))];
            }
        }
    }

    /// <summary>Every request made to the app about any call of the account, in order.</summary>
    public IReadOnlyList<WebhookRequest> Requests => Webhooks.Requests;

    /// <summary>Every REST API request the app made, in order.</summary>
    public IReadOnlyList<ApiRequest> ApiRequests
    {
        get
        {
            lock (_api)
            {
                return [.. _api];
            }
        }
    }

    internal CallWebhooks Webhooks { get; }

    internal CallClock Clock { get; } = new();

    internal HttpClient App { get; }

    /// <summary>The calls the app created to <paramref name="number"/>, oldest first.</summary>
    public IReadOnlyList<OutboundCall> CallsTo(string number) => [.. Calls.Where(c => c.To == number)];

    /// <summary>A call comes in to the app from <paramref name="from"/> to <paramref name="to"/> (else the account's defaults).</summary>
    public Task<SimulatedCall> StartCallAsync(string? from = null, string? to = null, CancellationToken ct = default) =>
        SimulatedCall.StartAsync(App, Options with { From = from ?? Options.From, To = to ?? Options.To, Account = this }, ct);

    /// <summary>
    /// Time passes for everyone (nobody may be queued: a queued caller's time passes with
    /// <see cref="SimulatedCall.WaitAsync"/>, which plays the waitUrl meanwhile). Created calls still ringing when
    /// their Timeout passes end with no-answer.
    /// </summary>
    public async Task PassTimeAsync(TimeSpan duration, CancellationToken ct = default)
    {
        if (Incoming.Any(c => c.State == CallState.Queued))
        {
            throw new CallFlowException("A caller is queued: let time pass with the caller's WaitAsync, which plays the waitUrl meanwhile.");
        }

        var until = Clock.Seconds + (long)duration.TotalSeconds;
        while (Clock.Seconds < until)
        {
            var next = NextRingingDeadline() is { } deadline && deadline > Clock.Seconds ? Math.Min(deadline, until) : until;
            Clock.AdvanceTo(next);
            await ExpireRingingAsync(ct);
        }
    }

    /// <summary>
    /// Twilio's REST API for calls and queues, as the app uses it: <c>POST Calls.json</c> (create), <c>POST
    /// Calls/{Sid}.json</c> (Status=canceled or completed), <c>GET Calls/{Sid}.json</c>, <c>DELETE Queues/{Sid}.json</c>.
    /// </summary>
    /// <param name="path">From <c>/2010-04-01/</c> on, as under Twilio's API base.</param>
    /// <param name="authorization">The Authorization header: Basic AccountSid:AuthToken.</param>
    public async Task<ApiAnswer> HandleApiAsync(
        string method, string path, IReadOnlyList<KeyValuePair<string, string>> form, string? authorization, CancellationToken ct = default)
    {
        var answer = await AnswerApiAsync(method.ToUpperInvariant(), path, form, authorization, ct);
        lock (_api)
        {
            _api.Add(new ApiRequest(method.ToUpperInvariant(), path, form, answer.Status));
        }

        return answer;
    }

    internal long? NextRingingDeadline() =>
        Calls.Select(c => c.State == OutboundCallState.Ringing ? c.RingingDeadline : c.NumbersRingUntil).Where(d => d is not null).Min();

    /// <summary>Created calls whose ring Timeout has passed end with no-answer; so do the numbers their Dial rings past its timeout.</summary>
    internal async Task ExpireRingingAsync(CancellationToken ct)
    {
        foreach (var call in Calls.Where(c => c.State == OutboundCallState.Ringing && c.RingingDeadline <= Clock.Seconds))
        {
            await call.EndRingingAsync("no-answer", "no answer", ct);
        }

        foreach (var call in Calls.Where(c => c.NumbersRingUntil <= Clock.Seconds))
        {
            await call.NumbersRingOutAsync(ct);
        }
    }

    internal void Register(SimulatedCall call)
    {
        lock (_lock)
        {
            _incoming.Add(call);
        }
    }

    /// <summary>Puts <paramref name="call"/> at the end of queue <paramref name="name"/>, made on demand; null when full.</summary>
    internal Queue? Enqueue(string name, SimulatedCall call, int? maxSize)
    {
        lock (_lock)
        {
            if (!_queues.TryGetValue(name, out var queue))
            {
                queue = new Queue(TwilioSids.New("QU"), name, maxSize ?? DefaultMaxQueueSize);
                _queues[name] = queue;
            }

            if (queue.WaitingDials.Count > 0)
            {
                throw new CallFlowException($"A <Dial><Queue>{name}</Queue></Dial> waits on this queue: joining it then is not simulated.");
            }

            if (queue.Members.Count >= queue.MaxSize)
            {
                return null;
            }

            queue.Members.Add(call);
            return queue;
        }
    }

    /// <summary>Removes <paramref name="call"/> from its queue; false when it was no longer there (dequeued meanwhile).</summary>
    internal bool Remove(Queue queue, SimulatedCall call)
    {
        lock (_lock)
        {
            return queue.Members.Remove(call);
        }
    }

    /// <summary>
    /// A &lt;Dial&gt;&lt;Queue&gt;: takes the first caller of queue <paramref name="name"/>, or (empty) registers the
    /// dial as waiting. Null queue: no such queue.
    /// </summary>
    internal (Queue? Queue, SimulatedCall? Caller) Dequeue(string name, OutboundCall dialling)
    {
        lock (_lock)
        {
            if (!_queues.TryGetValue(name, out var queue))
            {
                return (null, null);
            }

            if (queue.Members.Count == 0)
            {
                queue.WaitingDials.Add(dialling);
                return (queue, null);
            }

            var caller = queue.Members[0];
            queue.Members.RemoveAt(0);
            caller.DequeuedBy = dialling;
            return (queue, caller);
        }
    }

    internal void StopWaiting(Queue queue, OutboundCall dialling)
    {
        lock (_lock)
        {
            queue.WaitingDials.Remove(dialling);
        }
    }

    /// <summary>What Twilio sends about a queue member with each waitUrl request.</summary>
    internal List<KeyValuePair<string, string>> WaitParameters(Queue queue, SimulatedCall call)
    {
        lock (_lock)
        {
            var now = Clock.Seconds;
            var position = queue.Members.IndexOf(call) + 1;
            var average = queue.Members.Count == 0 ? 0 : queue.Members.Sum(m => now - m.EnqueuedAt) / queue.Members.Count;
            return
            [
                new("QueueSid", queue.Sid),
                new("QueuePosition", Text(position)),
                new("QueueTime", Text(now - call.EnqueuedAt)),
                new("AvgQueueTime", Text(average)),
                new("CurrentQueueSize", Text(queue.Members.Count)),
                new("MaxQueueSize", Text(queue.MaxSize)),
            ];
        }
    }

    internal static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private async Task<ApiAnswer> AnswerApiAsync(
        string method, string path, IReadOnlyList<KeyValuePair<string, string>> form, string? authorization, CancellationToken ct)
    {
        var parts = path.Trim('/').Split('/');
        if (parts.Length < 4 || parts[0] != "2010-04-01" || parts[1] != "Accounts")
        {
            return NotFound();
        }

        var expected = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes($"{AccountSid}:{Options.AuthToken}"))).ToString();
        if (parts[2] != AccountSid || authorization != expected)
        {
            return Error(401, 20003, "Authenticate");
        }

        string? Value(string name) => form.Where(p => p.Key == name).Select(p => p.Value).LastOrDefault();
        switch (parts[3..])
        {
            case ["Calls.json"] when method == "POST":
                return Create(form, Value);
            case ["Calls", var file] when file.EndsWith(".json", StringComparison.Ordinal) && method is "POST" or "GET":
                var call = Calls.SingleOrDefault(c => c.CallSid == file[..^5]);
                if (call is null)
                {
                    return NotFound();
                }

                if (method == "POST")
                {
                    if (Value("Status") is not ("canceled" or "completed") || form.Any(p => p.Key is "Url" or "Twiml"))
                    {
                        return Error(400, 21218, "The simulated Calls API updates Status (canceled or completed) only.");
                    }

                    await call.UpdateStatusAsync(Value("Status")!, ct);
                }

                return new ApiAnswer(200, Resource(call));
            case ["Queues", var file] when file.EndsWith(".json", StringComparison.Ordinal) && method == "DELETE":
                lock (_lock)
                {
                    var queue = _queues.Values.SingleOrDefault(q => q.Sid == file[..^5]);
                    if (queue is null)
                    {
                        return NotFound();
                    }

                    if (queue.Members.Count > 0)
                    {
                        return Error(400, 20001, "The queue still has members: the simulated account deletes empty queues only.");
                    }

                    _queues.Remove(queue.Name);
                    return new ApiAnswer(204, null);
                }

            default:
                return NotFound();
        }
    }

    private ApiAnswer Create(IReadOnlyList<KeyValuePair<string, string>> form, Func<string, string?> value)
    {
        if (value("To") is not { Length: > 0 } to || value("From") is not { Length: > 0 } from)
        {
            return Error(400, 21201, "'To' and 'From' are required.");
        }

        if (value("Url") is not { Length: > 0 } url || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return Error(400, 21205, "The simulated Calls API takes an absolute 'Url' (not Twiml or ApplicationSid).");
        }

        var timeout = 60;
        if (value("Timeout") is { } text && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out timeout) || timeout is < 1 or > 600))
        {
            return Error(400, 21216, "'Timeout' must be 1 to 600 seconds.");
        }

        OutboundCall call;
        lock (_lock)
        {
            call = new OutboundCall(this, _calls.Count + 1, to, from, uri, value("Method") ?? "POST", timeout, form);
            _calls.Add(call);
        }

        // Twilio answers a new call as queued; it rings a moment later.
        return new ApiAnswer(201, Resource(call, "queued"));
    }

    /// <summary>A call resource as Twilio writes it (the fields the SDK reads that the simulator knows).</summary>
    private string Resource(OutboundCall call, string? status = null) => JsonSerializer.Serialize(new
    {
        Sid = call.CallSid,
        AccountSid,
        To = call.To,
        From = call.From,
        Status = status ?? call.Status,
        Direction = "outbound-api",
        ApiVersion = "2010-04-01",
        Duration = call.Outcome is null ? null : Text(call.Duration),
        Uri = $"/2010-04-01/Accounts/{AccountSid}/Calls/{call.CallSid}.json",
    }, Json);

    private static ApiAnswer NotFound() => Error(404, 20404, "The requested resource was not found");

    private static ApiAnswer Error(int status, int code, string message) =>
        new(status, JsonSerializer.Serialize(new { code, message, more_info = $"https://www.twilio.com/docs/errors/{code}", status }));

    internal sealed class Queue(string sid, string name, int maxSize)
    {
        public string Sid { get; } = sid;

        public string Name { get; } = name;

        public int MaxSize { get; } = maxSize;

        public List<SimulatedCall> Members { get; } = [];

        /// <summary>&lt;Dial&gt;&lt;Queue&gt; verbs waiting for a caller to join (the queue was empty).</summary>
        public List<OutboundCall> WaitingDials { get; } = [];
    }
}

/// <summary>Serves <see cref="SimulatedTwilio.HandleApiAsync"/> over ASP.NET Core (the local stand-in, test doubles).</summary>
public static class SimulatedTwilioApi
{
    /// <param name="path">The request's path from <c>/2010-04-01/</c> on.</param>
    public static async Task<IResult> ServeAsync(SimulatedTwilio account, HttpRequest request, string path, CancellationToken ct = default)
    {
        List<KeyValuePair<string, string>> form = [];
        if (request.HasFormContentType)
        {
            foreach (var (name, values) in await request.ReadFormAsync(ct))
            {
                form.AddRange(values.Select(v => new KeyValuePair<string, string>(name, v ?? string.Empty)));
            }
        }

        var answer = await account.HandleApiAsync(request.Method, path, form, request.Headers.Authorization.ToString(), ct);
        return answer.Json is null
            ? Results.StatusCode(answer.Status)
            : Results.Content(answer.Json, "application/json", System.Text.Encoding.UTF8, answer.Status);
    }
}

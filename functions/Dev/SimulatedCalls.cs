using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Hotline.Functions.Dev.CallFlow;
using Hotline.Functions.Sms;
using Hotline.Secrets;

namespace Hotline.Functions.Dev;

/// <summary>
/// The voice calls placed from the local simulator's call page (Development only): each one a <see cref="SimulatedCall"/>
/// playing Twilio's part against the app's own voice webhooks over HTTP, kept in memory under an id and dropped
/// <see cref="KeptAfterEnd"/> after it ended. All of them come in to one <see cref="SimulatedTwilio"/> account, whose
/// Calls and Queues API the app reaches under <c>/dev/twilio/api/</c>, made with the first page call or the app's
/// first API request. The calls the app creates there are shown with the calls placed before them, and all together
/// (<see cref="AppCalls"/>): a safe callback is created with no page call.
/// </summary>
public sealed partial class SimulatedCalls(IHttpClientFactory clients, ISecretStore secrets, SmsSettings settings, TimeProvider time)
{
    public static readonly TimeSpan KeptAfterEnd = TimeSpan.FromMinutes(10);

    /// <summary>A step waits for the app this long at most; the browser leaving does not cut a step in half.</summary>
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, Entry> _calls = new(StringComparer.Ordinal);

    /// <summary>When each call the app created was first seen ended, by its index: it leaves <see cref="AppCalls"/> <see cref="KeptAfterEnd"/> later.</summary>
    private readonly ConcurrentDictionary<int, DateTimeOffset> _createdEnded = new();
    private readonly SemaphoreSlim _accountMade = new(1, 1);
    private SimulatedTwilio? _account;

    /// <summary>
    /// Dials the hotline as <paramref name="from"/>: Twilio's requests go to <paramref name="self"/> (the app as this
    /// request reached it), signed over the public base (<c>Hotline__PublicBaseUrl</c>, else <paramref name="self"/>)
    /// with the Twilio auth token, exactly as the SMS simulator signs.
    /// </summary>
    public async Task<SimulatedCallView> StartAsync(string from, string to, Uri self)
    {
        Prune();
        var account = await AccountAsync(self);
        var id = "c" + Guid.NewGuid().ToString("N")[..12];
        var entry = new Entry(id, from, to, time.GetUtcNow(), account.Calls.Count);
        await RunStepAsync(async t => entry.Call = await account.StartCallAsync(from, to, t), problem: null);
        _calls[id] = entry;
        return View(entry);
    }

    public IReadOnlyList<SimulatedCallView> All()
    {
        Prune();
        return [.. _calls.Values.OrderBy(e => e.StartedAt).Select(View)];
    }

    public SimulatedCallView? Find(string id)
    {
        Prune();
        return _calls.TryGetValue(id, out var entry) ? View(entry) : null;
    }

    /// <summary>Runs one step of call <paramref name="id"/>; null when there is no such call.</summary>
    /// <exception cref="CallStepException">The step does not fit where the call is, or the app answered as Twilio would not accept.</exception>
    public async Task<SimulatedCallView?> StepAsync(string id, Func<SimulatedCall, CancellationToken, Task> step)
    {
        if (!_calls.TryGetValue(id, out var entry))
        {
            return null;
        }

        await RunStepAsync(t => step(entry.Call, t), problem => entry.LastProblem = problem);
        return View(entry);
    }

    /// <summary>Runs one step of call number <paramref name="index"/> the app created (shown with call <paramref name="id"/>); null when there is no such call.</summary>
    /// <exception cref="CallStepException">The step does not fit where that call is, or the app answered as Twilio would not accept.</exception>
    public Task<SimulatedCallView?> OutboundStepAsync(string id, int index, Func<OutboundCall, CancellationToken, Task> step) =>
        StepAsync(id, (call, ct) => call.Account.Calls.SingleOrDefault(c => c.Index == index) is { } outbound
            ? step(outbound, ct)
            : throw new CallFlowException($"The app created no call {index}."));

    /// <summary>
    /// Every call the app created through the REST API, newest first, each dropped <see cref="KeptAfterEnd"/> after it
    /// ended; the numbers called are masked (a counsellor's phone), as are the numbers their Dials ring.
    /// </summary>
    public SimulatedAppCallsView AppCalls()
    {
        if (Volatile.Read(ref _account) is not { } account)
        {
            return new SimulatedAppCallsView(0, []);
        }

        var now = time.GetUtcNow();
        var shown = new List<SimulatedOutboundView>();
        foreach (var call in account.Calls.Reverse())
        {
            if (call.State == OutboundCallState.Ended && now - _createdEnded.GetOrAdd(call.Index, now) > KeptAfterEnd)
            {
                continue;
            }

            shown.Add(OutboundView(call) with { To = DialingParty.Masked(call.To) });
        }

        return new SimulatedAppCallsView(account.Seconds, shown);
    }

    /// <summary>Runs one step of call number <paramref name="index"/> the app created, shown or not with a page call; null when there is no such call.</summary>
    /// <exception cref="CallStepException">The step does not fit where that call is, or the app answered as Twilio would not accept.</exception>
    public async Task<SimulatedAppCallsView?> AppCallStepAsync(int index, Func<OutboundCall, CancellationToken, Task> step)
    {
        if (Volatile.Read(ref _account)?.Calls.SingleOrDefault(c => c.Index == index) is not { } call)
        {
            return null;
        }

        await RunStepAsync(t => step(call, t), problem: null);
        return AppCalls();
    }

    /// <summary>Time passes on the account's clock: created calls ring out at their Timeout, the numbers their Dials ring at the Dial's.</summary>
    /// <exception cref="CallStepException">A caller is queued (their own Wait moves the clock), or a timeout's callback failed.</exception>
    public async Task<SimulatedAppCallsView> PassTimeAsync(TimeSpan duration)
    {
        if (Volatile.Read(ref _account) is { } account)
        {
            await RunStepAsync(t => account.PassTimeAsync(duration, t), problem: null);
        }

        return AppCalls();
    }

    /// <summary>Twilio's Calls and Queues API as the app calls it: the account is made with the first request if no page call made it.</summary>
    /// <param name="path">From <c>/2010-04-01/</c> on.</param>
    public async Task<IResult> ServeApiAsync(HttpRequest request, string path, CancellationToken ct) =>
        await SimulatedTwilioApi.ServeAsync(await AccountAsync(Self(request)), request, path, ct);

    /// <summary>The app as <paramref name="request"/> reached it (on loopback): where Twilio's requests go.</summary>
    public static Uri Self(HttpRequest request) => new($"{request.Scheme}://{request.Host}/");

    /// <summary>Every phone number in <paramref name="text"/> masked as counsellors' phones are shown: <c>•••• 0123</c>.</summary>
    public static string MaskNumbers(string text) => PhoneNumber().Replace(text, m => "•••• " + m.Value[^4..]);

    /// <summary>Keys as a keypad has them: 0–9, * and #.</summary>
    public static bool AreKeys(string? keys) => keys is { Length: > 0 and <= 20 } && Keypad().IsMatch(keys);

    /// <summary>The one account of the page's calls, made with the first call: Twilio's requests go to <paramref name="self"/>.</summary>
    public async Task<SimulatedTwilio> AccountAsync(Uri self)
    {
        await _accountMade.WaitAsync();
        try
        {
            if (_account is null)
            {
                var http = clients.CreateClient("twilio-simulator");
                http.BaseAddress = self;
                http.Timeout = StepTimeout;
                Volatile.Write(ref _account, new SimulatedTwilio(http, new SimulatedCallOptions
                {
                    PublicBase = settings.PublicBaseUrl ?? self,
                    AuthToken = await secrets.GetAsync(TwilioSecrets.AuthToken.Name, CancellationToken.None),
                    AccountSid = await secrets.GetAsync(TwilioSecrets.AccountSid.Name, CancellationToken.None),
                }));
            }

            return _account!;
        }
        finally
        {
            _accountMade.Release();
        }
    }

    /// <summary>
    /// Runs a step with the step timeout; a failure is thrown as a <see cref="CallStepException"/> with the numbers in
    /// it masked (a refused answer quotes the TwiML, which may hold a caller's number) and given to <paramref name="problem"/>.
    /// </summary>
    private static async Task RunStepAsync(Func<CancellationToken, Task> step, Action<string?>? problem)
    {
        try
        {
            using var timeout = new CancellationTokenSource(StepTimeout);
            await step(timeout.Token);
            problem?.Invoke(null);
        }
        catch (Exception e) when (IsCallFailure(e))
        {
            var message = MaskNumbers(e.Message);
            problem?.Invoke(message);
            throw new CallStepException(message, e);
        }
    }

    private static bool IsCallFailure(Exception e) =>
        e is CallFlowException or InvalidOperationException or TwimlProblemsException or HttpRequestException or OperationCanceledException
            or System.Xml.XmlException;

    private SimulatedCallView View(Entry entry)
    {
        var call = entry.Call;
        var state = call.State;
        if (state == CallState.Ended)
        {
            entry.EndedAt ??= time.GetUtcNow();
        }

        return new SimulatedCallView(
            entry.Id,
            entry.From,
            entry.To,
            state.ToString(),
            call.ElapsedSeconds,
            call.CallerHeard,
            LegViews(call.Legs),
            [.. call.Account.Calls.Where(c => c.Index > entry.OutboundBefore).Select(OutboundView)],
            [.. call.Requests.Select(r => new SimulatedRequestView(
                r.Side, r.Method, r.Method == "GET" ? r.Url.AbsolutePath : r.Url.PathAndQuery,
                r.Parameters.Where(p => ShownParameters.Contains(p.Key))
                    .ToDictionary(p => p.Key, p => IsLeg(r.Side) && p.Key is "To" or "From" ? DialingParty.Masked(p.Value) : p.Value)))],
            entry.LastProblem);
    }

    private static SimulatedOutboundView OutboundView(OutboundCall c) =>
        new(c.Index, c.To, c.From, c.State.ToString(), c.Status, c.Heard, LegViews(c.Legs));

    /// <summary>Dialled numbers are shown masked: a &lt;Dial&gt; may ring a caller back.</summary>
    private static List<SimulatedLegView> LegViews(IEnumerable<DialLeg> legs) =>
        [.. legs.Select(l => new SimulatedLegView(l.Index, l.MaskedNumber, l.CallerId, l.State.ToString(), l.Outcome, l.Heard))];

    private static bool IsLeg(string side) => side.StartsWith("leg ", StringComparison.Ordinal) || side.Contains(" leg ", StringComparison.Ordinal);

    private static readonly HashSet<string> ShownParameters =
        ["From", "To", "CallStatus", "Digits", "DialCallStatus", "DialCallDuration", "RecordingDuration", "CallDuration", "CallbackSource",
            "QueueResult", "QueueTime", "QueuePosition"];

    private void Prune()
    {
        var now = time.GetUtcNow();
        foreach (var (id, entry) in _calls)
        {
            if (entry.Call.State == CallState.Ended)
            {
                entry.EndedAt ??= now;
            }

            if (entry.EndedAt is { } ended && now - ended > KeptAfterEnd)
            {
                _calls.TryRemove(id, out _);
            }
        }
    }

    [GeneratedRegex("^[0-9*#]+$")]
    private static partial Regex Keypad();

    [GeneratedRegex(@"\+[0-9]{7,15}")]
    private static partial Regex PhoneNumber();

    /// <param name="outboundBefore">How many calls the app had created before this one came in.</param>
    private sealed class Entry(string id, string from, string to, DateTimeOffset startedAt, int outboundBefore)
    {
        public string Id { get; } = id;

        public int OutboundBefore { get; } = outboundBefore;

        public string From { get; } = from;

        public string To { get; } = to;

        public DateTimeOffset StartedAt { get; } = startedAt;

        public SimulatedCall Call { get; set; } = null!;

        public DateTimeOffset? EndedAt { get; set; }

        /// <summary>Why the last step failed, shown with the call until a step succeeds.</summary>
        public string? LastProblem { get; set; }
    }
}

/// <summary>A step of a simulated call could not be taken; the message says why.</summary>
public sealed class CallStepException(string message, Exception inner) : Exception(message, inner);

/// <param name="Problem">Why the last step failed (the app's answer Twilio would refuse, or a step that did not fit).</param>
public sealed record SimulatedCallView(
    string Id, string From, string To, string State, long ElapsedSeconds, IReadOnlyList<string> CallerHeard,
    IReadOnlyList<SimulatedLegView> Legs, IReadOnlyList<SimulatedOutboundView> Outbound, IReadOnlyList<SimulatedRequestView> Requests, string? Problem);

/// <param name="Number">The number dialled, masked (<c>•••• 0123</c>).</param>
/// <param name="CallerId">The number this phone shows as calling.</param>
public sealed record SimulatedLegView(int Index, string Number, string CallerId, string State, string? Outcome, IReadOnlyList<string> Heard);

/// <summary>A call the app created through the REST API (a counsellor's phone rung for the queued caller, or to call a caller back).</summary>
/// <param name="Status">Twilio's status: ringing, in-progress, completed, canceled, no-answer, busy, failed.</param>
/// <param name="Legs">The numbers its current &lt;Dial&gt; rings (a caller called back).</param>
public sealed record SimulatedOutboundView(
    int Index, string To, string From, string State, string Status, IReadOnlyList<string> Heard, IReadOnlyList<SimulatedLegView> Legs);

/// <summary>The calls the app created, newest first, and the account's clock.</summary>
/// <param name="Seconds">Seconds on the simulated account's clock.</param>
public sealed record SimulatedAppCallsView(long Seconds, IReadOnlyList<SimulatedOutboundView> Calls);

public sealed record SimulatedRequestView(string Side, string Method, string Path, IReadOnlyDictionary<string, string> Parameters);

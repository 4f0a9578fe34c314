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
/// Calls and Queues API the app reaches under <c>/dev/twilio/api/</c>; the calls the app creates there are shown with
/// the calls placed after them.
/// </summary>
public sealed partial class SimulatedCalls(IHttpClientFactory clients, ISecretStore secrets, SmsSettings settings, TimeProvider time)
{
    public static readonly TimeSpan KeptAfterEnd = TimeSpan.FromMinutes(10);

    /// <summary>A step waits for the app this long at most; the browser leaving does not cut a step in half.</summary>
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, Entry> _calls = new(StringComparer.Ordinal);
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
        try
        {
            using var timeout = new CancellationTokenSource(StepTimeout);
            entry.Call = await account.StartCallAsync(from, to, timeout.Token);
        }
        catch (Exception e) when (IsCallFailure(e))
        {
            throw new CallStepException(MaskNumbers(e.Message), e);
        }

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

        try
        {
            using var timeout = new CancellationTokenSource(StepTimeout);
            await step(entry.Call, timeout.Token);
            entry.LastProblem = null;
        }
        catch (Exception e) when (IsCallFailure(e))
        {
            // A refused answer quotes the TwiML, which may hold a caller's number.
            entry.LastProblem = MaskNumbers(e.Message);
            throw new CallStepException(entry.LastProblem, e);
        }

        return View(entry);
    }

    /// <summary>Runs one step of call number <paramref name="index"/> the app created (shown with call <paramref name="id"/>); null when there is no such call.</summary>
    /// <exception cref="CallStepException">The step does not fit where that call is, or the app answered as Twilio would not accept.</exception>
    public Task<SimulatedCallView?> OutboundStepAsync(string id, int index, Func<OutboundCall, CancellationToken, Task> step) =>
        StepAsync(id, (call, ct) => call.Account.Calls.SingleOrDefault(c => c.Index == index) is { } outbound
            ? step(outbound, ct)
            : throw new CallFlowException($"The app created no call {index}."));

    /// <summary>Twilio's Calls and Queues API as the app calls it; 404 until a call was placed from the page.</summary>
    /// <param name="path">From <c>/2010-04-01/</c> on.</param>
    public Task<IResult> ServeApiAsync(HttpRequest request, string path, CancellationToken ct) =>
        Volatile.Read(ref _account) is { } account
            ? SimulatedTwilioApi.ServeAsync(account, request, path, ct)
            : Task.FromResult(Results.Json(new { code = 20404, message = "The requested resource was not found", status = 404 }, statusCode: 404));

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
            [.. call.Account.Calls.Where(c => c.Index > entry.OutboundBefore)
                .Select(c => new SimulatedOutboundView(c.Index, c.To, c.From, c.State.ToString(), c.Status, c.Heard, LegViews(c.Legs)))],
            [.. call.Requests.Select(r => new SimulatedRequestView(
                r.Side, r.Method, r.Method == "GET" ? r.Url.AbsolutePath : r.Url.PathAndQuery,
                r.Parameters.Where(p => ShownParameters.Contains(p.Key))
                    .ToDictionary(p => p.Key, p => IsLeg(r.Side) && p.Key is "To" or "From" ? DialingParty.Masked(p.Value) : p.Value)))],
            entry.LastProblem);
    }

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

public sealed record SimulatedRequestView(string Side, string Method, string Path, IReadOnlyDictionary<string, string> Parameters);

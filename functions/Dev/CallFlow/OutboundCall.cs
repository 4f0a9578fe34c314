using System.Xml.Linq;

namespace Hotline.Functions.Dev.CallFlow;

public enum OutboundCallState
{
    /// <summary>The phone rings (until answered, refused, cancelled or its Timeout passes).</summary>
    Ringing,

    /// <summary>Answered: its Url document is playing or waits for keys.</summary>
    InProgress,

    /// <summary>A &lt;Dial&gt;&lt;Queue&gt; waits for someone to join an empty queue (until <see cref="OutboundCall.DialTimesOutAsync"/>).</summary>
    WaitingForQueue,

    /// <summary>Connected by &lt;Dial&gt;&lt;Queue&gt; to the caller taken from the queue, or by &lt;Dial&gt;&lt;Number&gt; to a leg.</summary>
    Bridged,

    /// <summary>A &lt;Dial&gt; rings its &lt;Number&gt; nouns (<see cref="DialingParty.Legs"/>).</summary>
    Dialing,

    /// <summary>Over: see <see cref="OutboundCall.Outcome"/>.</summary>
    Ended,
}

/// <summary>
/// A call the app created through the REST API (<c>POST Calls.json</c>): the phone at <see cref="To"/> rings until the
/// test answers, refuses or fails it, the app cancels it, or the account's clock passes its Timeout (no-answer).
/// Answered, Twilio requests its <see cref="Url"/> (CallSid of this call, Direction=outbound-api,
/// CallStatus=in-progress) and plays the document to this person; a &lt;Dial&gt;&lt;Queue&gt;name&lt;/Queue&gt;&lt;/Dial&gt;
/// in it connects them with the first caller waiting in that queue; a &lt;Dial&gt; with &lt;Number&gt; nouns rings
/// those numbers (<see cref="DialingParty.Legs"/>) and connects the first to answer. Its StatusCallback, if the app gave
/// one, gets the events it asked for (default: completed).
/// </summary>
/// <remarks>
/// The person's own steps run one at a time on this call. The app's REST updates (cancel, complete) change the call's
/// state without waiting for those steps: a document still playing then stops, as when Twilio hangs up.
/// </remarks>
public sealed class OutboundCall : DialingParty
{
    private readonly SimulatedTwilio _account;
    private readonly object _sync = new();
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly string? _statusCallback;
    private readonly string _statusCallbackMethod;
    private readonly string[] _statusEvents;
    private volatile OutboundCallState _state = OutboundCallState.Ringing;
    private int _sequence;
    private SimulatedTwilio.Queue? _dialQueue;
    private SimulatedCall? _caller;
    private long? _answeredAt;
    private long? _endedAt;

    internal OutboundCall(
        SimulatedTwilio account, int index, string to, string from, Uri url, string method, int timeout, IReadOnlyList<KeyValuePair<string, string>> form)
        : base(account.Webhooks, account.Clock, account.Options, TwilioSids.New("CA"))
    {
        _account = account;
        Index = index;
        To = to;
        From = from;
        Url = url;
        Method = method;
        Timeout = timeout;
        CreatedWith = form;
        RingingDeadline = Clock.Seconds + timeout;
        _statusCallback = Value(form, "StatusCallback");
        _statusCallbackMethod = Value(form, "StatusCallbackMethod") ?? "POST";
        var events = form.Where(p => p.Key == "StatusCallbackEvent").SelectMany(p => p.Value.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries)).ToArray();
        _statusEvents = events.Length > 0 ? events : ["completed"];
        Hear($"ringing (caller id {from})");
    }

    /// <summary>1 for the first call the app created in the account, 2 for the next...</summary>
    public int Index { get; }

    public string To { get; }

    /// <summary>The caller ID the phone shows.</summary>
    public string From { get; }

    /// <summary>The document Twilio requests when the phone answers.</summary>
    public Uri Url { get; }

    public string Method { get; }

    /// <summary>Seconds the phone rings before no-answer (Twilio's default 60).</summary>
    public int Timeout { get; }

    /// <summary>The form the app sent to create the call.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> CreatedWith { get; }

    public OutboundCallState State => _state;

    /// <summary>Twilio's status of the call: ringing, in-progress, then its outcome.</summary>
    public string Status => _state switch
    {
        OutboundCallState.Ringing => "ringing",
        OutboundCallState.Ended => Outcome!,
        _ => "in-progress",
    };

    /// <summary>How it ended, as Twilio's CallStatus: completed, canceled, busy, failed, no-answer; null until then.</summary>
    public string? Outcome { get; private set; }

    /// <summary>Seconds since the phone answered (until the call ended); 0 if it never did.</summary>
    public long Duration => _answeredAt is { } answered ? (_endedAt ?? Clock.Seconds) - answered : 0;

    /// <summary>The CallSid of the caller connected by &lt;Dial&gt;&lt;Queue&gt;, or of the leg connected by &lt;Dial&gt;&lt;Number&gt;, while bridged.</summary>
    public string? BridgedTo => _state == OutboundCallState.Bridged ? _caller?.CallSid ?? BridgedLeg?.CallSid : null;

    internal long RingingDeadline { get; }

    /// <summary>When the numbers its &lt;Dial&gt; rings end no-answer, while they ring.</summary>
    internal long? NumbersRingUntil => _state == OutboundCallState.Dialing && CurrentDial is not null ? NumbersDeadline : null;

    internal override string LegSidePrefix => Side + " leg ";

    // It dials callers back: their numbers are not written out in full.
    internal override bool MasksDialledNumbers => true;

    private protected override string Side => "call " + SimulatedTwilio.Text(Index);

    private protected override bool Live => _state is OutboundCallState.InProgress or OutboundCallState.WaitingForQueue or OutboundCallState.Bridged or OutboundCallState.Dialing;

    private protected override bool RingingNumbers => _state == OutboundCallState.Dialing;

    /// <summary>The phone answers: Twilio requests <see cref="Url"/> and plays it.</summary>
    public Task AnswerAsync(CancellationToken ct = default) => TurnAsync(async () =>
    {
        if (_state == OutboundCallState.Ringing && Clock.Seconds >= RingingDeadline)
        {
            await EndRingingAsync("no-answer", "no answer", ct);
        }

        lock (_sync)
        {
            if (_state != OutboundCallState.Ringing)
            {
                throw new CallFlowException($"Call {Index} to {To} is {Status}: it can no longer be answered.");
            }

            _state = OutboundCallState.InProgress;
            _answeredAt = Clock.Seconds;
        }

        Hear("answered");
        await NotifyAsync("answered", "in-progress", ct);
        await SettleAsync(await FetchAndRunAsync(Url, Method, "in-progress", [], ct), ct);
    });

    /// <summary>The person presses <paramref name="keys"/> at a &lt;Gather&gt;; ignored once the call has ended.</summary>
    public Task PressAsync(string keys, CancellationToken ct = default) => InputAsync(() => KeysAsync(keys, ct), ct);

    /// <summary>The person says nothing at a &lt;Gather&gt;.</summary>
    public Task StayQuietAsync(CancellationToken ct = default) => InputAsync(() => KeysAsync(null, ct), ct);

    /// <summary>The phone is busy (or the person declines): the call ends busy.</summary>
    public Task RejectAsync(CancellationToken ct = default) => RefuseAsync("busy", ct);

    /// <summary>The phone cannot be reached: the call ends failed.</summary>
    public Task FailAsync(CancellationToken ct = default) => RefuseAsync("failed", ct);

    /// <summary>
    /// The person hangs up. Bridged from a queue: the caller's &lt;Enqueue&gt; action follows (QueueResult=bridged) and
    /// the caller goes on with its answer. Dialling numbers: ringing legs are cancelled (the Dial action gets
    /// no-answer), a bridged leg is hung up (completed, with DialCallSid and DialCallDuration); the action's answer is
    /// checked, not played.
    /// </summary>
    public Task HangUpAsync(CancellationToken ct = default) => TurnAsync(async () =>
    {
        if (!Live)
        {
            throw new CallFlowException($"Call {Index} is {Status}: only an answered call can hang up (a ringing one can RejectAsync).");
        }

        Hear("hung up");
        await HangUpByTwilioAsync(ct);
    });

    /// <summary>
    /// The &lt;Dial&gt; reaches its timeout (default 30 s; the clock moves there): numbers still ringing end no-answer
    /// (the action follows once no leg is left), a wait on an empty queue ends (its action gets no-answer).
    /// </summary>
    public Task DialTimesOutAsync(CancellationToken ct = default) => TurnAsync(async () =>
    {
        if (_state == OutboundCallState.Dialing)
        {
            await NumbersTimeOutAsync(ct);
            return;
        }

        if (_state != OutboundCallState.WaitingForQueue)
        {
            throw new CallFlowException($"Call {Index} is {_state}, not in a <Dial> that rings or waits on a queue.");
        }

        Clock.AdvanceTo(DialStartedAt + IntegerOf(CurrentDial!, "timeout", 30));
        _account.StopWaiting(_dialQueue!, this);
        _state = OutboundCallState.InProgress;
        await SettleAsync(await FinishDialAsync("no-answer", bridged: null, ct), ct);
    });

    /// <summary>The REST API's Status update: canceled stops a ringing call; completed also hangs up an answered one.</summary>
    internal async Task UpdateStatusAsync(string status, CancellationToken ct)
    {
        if (_state == OutboundCallState.Ringing)
        {
            await EndRingingAsync("canceled", "cancelled", ct);
        }
        else if (status == "completed" && Live)
        {
            Hear("hung up by the app");
            await HangUpByTwilioAsync(ct);
        }
    }

    /// <summary>A ringing call ends (no-answer, busy, failed, canceled); false when it was no longer ringing.</summary>
    internal async Task<bool> EndRingingAsync(string outcome, string heard, CancellationToken ct)
    {
        lock (_sync)
        {
            if (_state != OutboundCallState.Ringing)
            {
                return false;
            }

            _state = OutboundCallState.Ended;
            Outcome = outcome;
            _endedAt = Clock.Seconds;
        }

        Hear(heard);
        await NotifyAsync("completed", outcome, ct);
        return true;
    }

    /// <summary>The bridged caller hung up: this side's &lt;Dial&gt; is over (its action, or the verbs after it).</summary>
    internal Task BridgeEndedAsync(CancellationToken ct) => TurnAsync(async () =>
    {
        if (_state != OutboundCallState.Bridged)
        {
            return;
        }

        var caller = _caller;
        _caller = null;
        _state = OutboundCallState.InProgress;
        Hear("caller hung up");
        await SettleAsync(await FinishDialAsync("completed", caller, ct), ct);
    });

    /// <summary>The account's clock passed the Dial's timeout while its numbers rang: those still ringing end no-answer.</summary>
    internal Task NumbersRingOutAsync(CancellationToken ct) => TurnAsync(async () =>
    {
        if (NumbersRingUntil is { } until && until <= Clock.Seconds)
        {
            await NumbersTimeOutAsync(ct);
        }
    });

    private protected override List<KeyValuePair<string, string>> CallParameters(string callStatus) =>
    [
        new("CallSid", CallSid),
        new("AccountSid", Options.AccountSid),
        new("From", From),
        new("To", To),
        new("Caller", From),
        new("Called", To),
        new("CallStatus", callStatus),
        new("Direction", "outbound-api"),
        new("ApiVersion", "2010-04-01"),
    ];

    /// <summary>
    /// &lt;Dial&gt;&lt;Queue&gt;name&lt;/Queue&gt;&lt;/Dial&gt;: connects with the first caller in the queue.
    /// &lt;Dial&gt; with &lt;Number&gt; nouns (or a number as its text): rings them, showing the Dial's callerId (else
    /// this call's own From).
    /// </summary>
    private protected override async Task<PartyStop> DialAsync(XElement dial, CancellationToken ct)
    {
        var nouns = dial.Elements().ToList();
        if (nouns is not [{ Name.LocalName: "Queue" } noun])
        {
            if (nouns.Any(n => n.Name.LocalName != "Number"))
            {
                throw new CallFlowException($"{Side}: the simulated account dials one <Queue>, or <Number> nouns, from a created call; nothing else.");
            }

            lock (_sync)
            {
                if (_state != OutboundCallState.InProgress)
                {
                    return PartyStop.Gone;
                }

                _state = OutboundCallState.Dialing;
            }

            return await RingNumbersAsync(dial, From, ct);
        }

        StartDial(dial);
        var name = noun.Value.Trim();
        var (queue, caller) = _account.Dequeue(name, this);
        if (queue is null)
        {
            // Twilio's <Queue> page: a queue that does not exist posts an error status to the Dial action.
            Hear($"no queue {name}");
            return await FinishDialAsync("failed", bridged: null, ct);
        }

        if (caller is null)
        {
            _dialQueue = queue;
            _state = OutboundCallState.WaitingForQueue;
            Hear($"waiting for a caller in queue {name}");
            return PartyStop.Dialing;
        }

        if (!await caller.BridgeFromQueueAsync(this, noun, DocumentUrl, queue, ct))
        {
            return await FinishDialAsync("no-answer", bridged: null, ct);
        }

        lock (_sync)
        {
            if (_state != OutboundCallState.InProgress)
            {
                // Hung up (by the app) while the caller heard the Queue url: nobody is left on this side.
                return PartyStop.Gone;
            }

            _state = OutboundCallState.Bridged;
            _caller = caller;
            BridgedAt = Clock.Seconds;
        }

        Hear("connected to caller");
        return PartyStop.Dialing;
    }

    private static string? Value(IReadOnlyList<KeyValuePair<string, string>> form, string name) =>
        form.Where(p => p.Key == name).Select(p => p.Value).LastOrDefault();

    /// <summary>Twilio ends the call (the person, or the app through the REST API); a bridged caller goes on.</summary>
    private async Task HangUpByTwilioAsync(CancellationToken ct)
    {
        OutboundCallState was;
        lock (_sync)
        {
            was = _state;
            if (was is OutboundCallState.Ringing or OutboundCallState.Ended)
            {
                return;
            }

            _state = OutboundCallState.Ended;
            Outcome = "completed";
            _endedAt = Clock.Seconds;
        }

        if (was == OutboundCallState.WaitingForQueue)
        {
            _account.StopWaiting(_dialQueue!, this);
        }

        // Dialling numbers: the legs go too, and Twilio still requests the Dial action (not played).
        var leg = was == OutboundCallState.Bridged && _caller is null ? BridgedLeg : null;
        if (was == OutboundCallState.Dialing || leg is not null)
        {
            await HangUpLegsAsync(except: leg, ct);
            if (leg is not null)
            {
                await EndLegAsync(leg, "completed", "the other side hung up", ct);
            }

            if (CurrentDial is not null)
            {
                await DialActionAsync(leg is null ? "no-answer" : "completed", leg?.CallSid, onLine: false, ct);
            }
        }

        await NotifyAsync("completed", "completed", ct);
        if (was == OutboundCallState.Bridged && _caller is { } caller)
        {
            await caller.QueueBridgeEndedAsync(this, ct);
        }
    }

    private Task RefuseAsync(string outcome, CancellationToken ct) => TurnAsync(async () =>
    {
        if (!await EndRingingAsync(outcome, outcome, ct))
        {
            throw new CallFlowException($"Call {Index} to {To} is {Status}, not ringing.");
        }
    });

    /// <summary>The &lt;Dial&gt;&lt;Queue&gt; is over: its action (if any) is requested and played, else the verbs after it.</summary>
    private Task<PartyStop> FinishDialAsync(string dialCallStatus, SimulatedCall? bridged, CancellationToken ct)
    {
        _dialQueue = null;
        return DialActionAsync(dialCallStatus, bridged?.CallSid, onLine: true, ct);
    }

    private protected override Task LockedAsync(Func<Task> step) => TurnAsync(step);

    private protected override void Connected(DialLeg leg)
    {
        lock (_sync)
        {
            if (_state == OutboundCallState.Dialing)
            {
                _state = OutboundCallState.Bridged;
            }
        }

        Hear($"connected to leg {leg.Index}");
    }

    private protected override async Task NumbersDialOverAsync(string dialCallStatus, bool onLine, CancellationToken ct)
    {
        lock (_sync)
        {
            if (_state is not (OutboundCallState.Dialing or OutboundCallState.Bridged))
            {
                // Hung up meanwhile (by the app): the hang-up has requested the action.
                return;
            }

            _state = OutboundCallState.InProgress;
        }

        await SettleAsync(await DialActionAsync(dialCallStatus, BridgedLeg?.CallSid, onLine, ct), ct);
    }

    private async Task SettleAsync(PartyStop stop, CancellationToken ct)
    {
        switch (stop)
        {
            case PartyStop.EndOfDocument:
                Hear("hangup");
                await EndAnsweredAsync("completed", ct);
                break;
            case PartyStop.HungUp:
                await EndAnsweredAsync("completed", ct);
                break;
            case PartyStop.Rejected:
                await EndAnsweredAsync(RejectReason == "busy" ? "busy" : "no-answer", ct);
                break;
            case PartyStop.WaitingForRecording:
                throw new CallFlowException($"{Side}: <Record> on a created call is not simulated.");
        }
    }

    private async Task EndAnsweredAsync(string outcome, CancellationToken ct)
    {
        lock (_sync)
        {
            if (_state == OutboundCallState.Ended)
            {
                return;
            }

            _state = OutboundCallState.Ended;
            Outcome = outcome;
            _endedAt = Clock.Seconds;
        }

        await NotifyAsync("completed", outcome, ct);
    }

    /// <summary>The call's StatusCallback, for the events the app asked for when creating it (default: completed).</summary>
    private async Task NotifyAsync(string callbackEvent, string callStatus, CancellationToken ct)
    {
        if (_statusCallback is null || !_statusEvents.Contains(callbackEvent))
        {
            return;
        }

        List<KeyValuePair<string, string>> parameters =
        [
            .. CallParameters(callStatus),
            new("CallbackSource", "call-progress-events"),
            new("SequenceNumber", SimulatedTwilio.Text(Interlocked.Increment(ref _sequence) - 1)),
        ];
        if (callbackEvent == "completed")
        {
            parameters.Add(new("CallDuration", SimulatedTwilio.Text(Duration)));
        }

        await Webhooks.NotifyAsync(Side, new Uri(_statusCallback), _statusCallbackMethod, parameters, ct);
    }

    private Task InputAsync(Func<Task<PartyStop>> input, CancellationToken ct) => TurnAsync(async () =>
    {
        if (_state == OutboundCallState.Ended)
        {
            return;
        }

        if (_state != OutboundCallState.InProgress)
        {
            throw new CallFlowException($"Call {Index} is {_state}: keys go to an answered call's <Gather>.");
        }

        await SettleAsync(await input(), ct);
    });

    private async Task TurnAsync(Func<Task> step)
    {
        await _turn.WaitAsync();
        try
        {
            await step();
        }
        finally
        {
            _turn.Release();
        }
    }
}

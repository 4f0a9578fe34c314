using System.Globalization;
using System.Xml.Linq;

namespace Hotline.Functions.Dev.CallFlow;

/// <summary>Where the simulated call is.</summary>
public enum CallState
{
    /// <summary>Twilio is fetching or playing TwiML.</summary>
    Playing,

    /// <summary>A &lt;Gather&gt; waits for the caller's keys (<see cref="SimulatedCall.PressAsync"/>, <see cref="SimulatedCall.StayQuietAsync"/>).</summary>
    WaitingForKeys,

    /// <summary>A &lt;Record&gt; waits for the caller (<see cref="SimulatedCall.RecordAsync"/>).</summary>
    Recording,

    /// <summary>A &lt;Dial&gt; rings <see cref="SimulatedCall.Legs"/>.</summary>
    Dialing,

    /// <summary>&lt;Enqueue&gt;: the caller waits in a queue, hearing the waitUrl (<see cref="SimulatedCall.WaitAsync"/>).</summary>
    Queued,

    /// <summary>The caller talks with the bridged leg, or with the created call that took it from its queue.</summary>
    Connected,

    Ended,
}

/// <summary>
/// Plays Twilio's part in one inbound call against the app's voice webhooks, in the order Twilio makes its requests:
/// the incoming call, each TwiML verb, the action URLs of Gather, Record and Dial, the whisper of each answering
/// &lt;Number&gt;, and the status callbacks. A test stands in for the people: the caller presses keys, records or hangs
/// up; each dialled number answers, presses keys, declines or hangs up. Nothing waits for real time: timeouts happen
/// when the test says so, and a clock of whole seconds gives the durations.
/// </summary>
/// <remarks>
/// Thread safety: every step takes the call's lock while it changes the call, so steps from several threads run one
/// after another, except that a dialled leg fetches its own documents (its whisper, its Gather action) without that
/// lock. Two legs pressing a key "at the same moment" therefore reach the app concurrently, as with Twilio; whichever
/// leg's whisper ends first is bridged, and the other is hung up (its key press, if it had not been posted yet, is
/// ignored; if its document was still playing, the rest of it is not heard).
/// </remarks>
public sealed class SimulatedCall : CallParty
{
    /// <summary>
    /// How long each &lt;Say&gt; or &lt;Play&gt; of a waitUrl document takes on the clock (per loop): a fixed, short
    /// time rather than an estimate, so tests can count rounds exactly. &lt;Pause&gt; takes its length.
    /// </summary>
    public const int SpokenSeconds = 1;

    /// <summary>waitUrl rounds in a row that take no time at all before the call fails (Twilio would loop for ever).</summary>
    public const int MaxIdleWaitRounds = 10;

    // Twilio's default waitUrl plays music for ever: the simulated clock just runs on.
    private const long HoldMusicSeconds = long.MaxValue / 4;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SimulatedTwilio _account;
    private readonly long _startedAt;
    private XElement? _enqueue;
    private Uri? _enqueueDocumentUrl;
    private SimulatedTwilio.Queue? _queue;
    private List<XElement> _waitVerbs = [];
    private int _waitNext;
    private Uri? _waitDocumentUrl;
    private long _waitVerbLeft;
    private long _roundStartedAt;
    private int _idleRounds;
    private bool _holdMusic;
    private OutboundCall? _agent;
    private string? _bridgedQueueSid;
    private long _bridgedQueueTime;
    private OutboundCall? _dequeuedBy;
    private List<DialLeg> _legs = [];
    private volatile CallState _state = CallState.Playing;
    private XElement? _dial;
    private Uri? _dialDocumentUrl;
    private long _dialStartedAt;
    private DialLeg? _bridged;
    private long _bridgedAt;

    private SimulatedCall(SimulatedTwilio account, SimulatedCallOptions options)
        : base(account.Webhooks, account.Clock, options with { AccountSid = account.AccountSid, Account = account }, TwilioSids.New("CA"))
    {
        _account = account;
        _startedAt = Clock.Seconds;
    }

    public CallState State => _state;

    /// <summary>The simulated account the call came in to (its own one unless <see cref="SimulatedCallOptions.Account"/> was given).</summary>
    public SimulatedTwilio Account => _account;

    /// <summary>The created call connected with this caller by &lt;Dial&gt;&lt;Queue&gt;, while connected.</summary>
    public OutboundCall? ConnectedTo => _state == CallState.Connected ? _agent : null;

    /// <summary>The name of the queue the caller waits in, while queued.</summary>
    public string? QueueName => _state == CallState.Queued ? _queue?.Name : null;

    /// <summary>What the caller heard (see <see cref="CallParty.Heard"/>), plus <c>ringing: number</c> and <c>connected to leg N</c>.</summary>
    public IReadOnlyList<string> CallerHeard => Heard;

    /// <summary>The numbers the current (latest) &lt;Dial&gt; rang, in document order.</summary>
    public IReadOnlyList<DialLeg> Legs => Volatile.Read(ref _legs);

    /// <summary>Every request made to the app, in order (in a shared account: about every call of the account).</summary>
    public IReadOnlyList<WebhookRequest> Requests => Webhooks.Requests;

    /// <summary>Seconds since the call came in, on the simulated clock.</summary>
    public long ElapsedSeconds => Clock.Seconds - _startedAt;

    internal long EnqueuedAt { get; private set; }

    /// <summary>Set (under the account's lock) when a &lt;Dial&gt;&lt;Queue&gt; took this caller from its queue.</summary>
    internal OutboundCall? DequeuedBy
    {
        get => Volatile.Read(ref _dequeuedBy);
        set => Volatile.Write(ref _dequeuedBy, value);
    }

    /// <summary>The document that held the current Dial: its Number url and statusCallback resolve against it.</summary>
    internal Uri DialDocumentUrl => _dialDocumentUrl!;

    private protected override string Side => "caller";

    private protected override bool Live => _state != CallState.Ended;

    /// <summary>A call comes in: Twilio posts the number's voice webhook with CallStatus=ringing and plays the answer.</summary>
    /// <param name="app">An HttpClient whose BaseAddress is the app on loopback.</param>
    public static async Task<SimulatedCall> StartAsync(HttpClient app, SimulatedCallOptions options, CancellationToken ct = default)
    {
        var account = options.Account ?? new SimulatedTwilio(app, options);
        var call = new SimulatedCall(account, options);
        account.Register(call);
        await call.StepAsync(async () =>
        {
            var voice = new Uri(options.PublicBase, options.VoicePath);
            await call.SettleAsync(await call.FetchAndRunAsync(voice, "POST", "ringing", [], ct), ct);
        });
        return call;
    }

    /// <summary>The caller presses <paramref name="keys"/> at a &lt;Gather&gt; (then falls silent).</summary>
    public Task PressAsync(string keys, CancellationToken ct = default) => StepAsync(async () =>
    {
        Expect(CallState.WaitingForKeys);
        await SettleAsync(await KeysAsync(keys, ct), ct);
    });

    /// <summary>
    /// The caller says nothing: a &lt;Gather&gt; times out (Twilio goes on after it), or a &lt;Record&gt; gets an empty
    /// recording (not posted; Twilio goes on after it).
    /// </summary>
    public Task StayQuietAsync(CancellationToken ct = default) => StepAsync(async () =>
    {
        var stop = _state switch
        {
            CallState.WaitingForKeys => await KeysAsync(null, ct),
            CallState.Recording => await RecordingAsync(0, string.Empty, ct),
            _ => throw new CallFlowException($"The caller can stay quiet at a <Gather> or <Record>, not while {_state}."),
        };
        await SettleAsync(stop, ct);
    });

    /// <summary>
    /// The caller speaks for <paramref name="seconds"/> at a &lt;Record&gt;, then presses <paramref name="key"/>, or
    /// hangs up when it is null (Digits=hangup; the action's answer is then not played).
    /// </summary>
    public Task RecordAsync(int seconds, string? key = null, CancellationToken ct = default) => StepAsync(async () =>
    {
        Expect(CallState.Recording);
        var stop = await RecordingAsync(seconds, key, ct);
        if (stop == PartyStop.PersonHungUp)
        {
            Hear("caller hung up");
        }

        await SettleAsync(stop, ct);
    });

    /// <summary>
    /// The caller hangs up. While legs ring: they are cancelled and the Dial action is posted with
    /// DialCallStatus=no-answer. While connected: the leg is hung up and the Dial action is posted with
    /// DialCallStatus=completed, DialCallSid and DialCallDuration. Either way the action's answer is not played, and
    /// the status callback follows.
    /// </summary>
    public async Task HangUpAsync(CancellationToken ct = default)
    {
        OutboundCall? agent = null;
        await StepAsync(async () =>
        {
            agent = await CallerHangsUpAsync(ct);
        });

        // Outside the caller's lock: the created call's side takes its own turn (its steps take the caller's lock).
        if (agent is not null)
        {
            await agent.BridgeEndedAsync(ct);
        }
    }

    /// <summary>
    /// Time passes while the caller waits in a queue: the waitUrl document plays on (each &lt;Say&gt;/&lt;Play&gt;
    /// <see cref="SpokenSeconds"/>, each &lt;Pause&gt; its length) and each time it ends Twilio requests the waitUrl
    /// again with the new QueueTime. Stops when the time has passed (in the middle of a verb, if so: the next call goes
    /// on from there), or when the caller leaves the queue (&lt;Leave&gt;, &lt;Hangup&gt;, or taken by a
    /// &lt;Dial&gt;&lt;Queue&gt;). Created calls still ringing when their Timeout passes end with no-answer meanwhile.
    /// </summary>
    public Task WaitAsync(TimeSpan duration, CancellationToken ct = default) => StepAsync(async () =>
    {
        Expect(CallState.Queued);
        var until = Clock.Seconds + (long)duration.TotalSeconds;
        while (_state == CallState.Queued && DequeuedBy is null)
        {
            if (_waitVerbLeft > 0)
            {
                var now = Clock.Seconds;
                if (now >= until)
                {
                    return;
                }

                var step = Math.Min(_waitVerbLeft, until - now);
                if (_account.NextRingingDeadline() is { } deadline && deadline > now)
                {
                    step = Math.Min(step, deadline - now);
                }

                Clock.Advance(step);
                _waitVerbLeft -= step;
                await _account.ExpireRingingAsync(ct);
                continue;
            }

            var stop = await NextWaitVerbAsync(ct);
            if (stop != PartyStop.Queued)
            {
                await SettleAsync(stop, ct);
            }
        }
    });

    private async Task<OutboundCall?> CallerHangsUpAsync(CancellationToken ct)
    {
        if (_state == CallState.Ended)
        {
            throw new CallFlowException("The call has already ended.");
        }

        Hear("caller hung up");
        switch (_state)
        {
            case CallState.Queued:
                await SettleAsync(await LeaveQueueAsync("hangup", callerOnLine: false, ct), ct);
                break;
            case CallState.Connected when _agent is { } agent:
                _agent = null;
                await SettleAsync(await QueueActionAsync("bridged", _bridgedQueueSid, _bridgedQueueTime, callerOnLine: false, ct), ct);
                return agent;
            case CallState.Dialing:
                await HangUpLegsAsync(except: null, ct);
                await FinishDialAsync("no-answer", callerOnLine: false, ct);
                break;
            case CallState.Connected:
                var leg = _bridged!;
                await EndLegAsync(leg, "completed", "caller hung up", ct);
                await FinishDialAsync("completed", callerOnLine: false, ct);
                break;
            default:
                await EndAsync("completed", ct);
                break;
        }

        return null;
    }

    /// <summary>
    /// The &lt;Dial&gt; timeout passes (the clock moves to the Dial's start plus its timeout, default 30 s): legs still
    /// ringing stop with no-answer. A leg that answered and is in its whisper keeps going; once no leg is left, Twilio
    /// posts the Dial action (DialCallStatus no-answer, or busy/failed when every leg was busy/failed).
    /// </summary>
    public Task DialTimesOutAsync(CancellationToken ct = default) => StepAsync(async () =>
    {
        Expect(CallState.Dialing);
        Clock.AdvanceTo(_dialStartedAt + IntegerOf(_dial!, "timeout", 30));
        foreach (var leg in Legs.Where(l => l.State == LegState.Ringing))
        {
            await EndLegAsync(leg, "no-answer", "no answer", ct);
        }

        await FinishDialIfNoLegLeftAsync(ct);
    });

    /// <summary>Time passes on the call's clock (e.g. the caller and the leg talk).</summary>
    public void PassTime(TimeSpan duration) => Clock.Advance((long)duration.TotalSeconds);

    /// <summary>
    /// A &lt;Dial&gt;&lt;Queue&gt; on <paramref name="agent"/> took this caller from <paramref name="queue"/>: the waitUrl
    /// stops, the Queue noun's url (if any) is requested and played to the caller, then both are connected. False when
    /// the caller was gone meanwhile.
    /// </summary>
    internal async Task<bool> BridgeFromQueueAsync(OutboundCall agent, XElement noun, Uri nounDocumentUrl, SimulatedTwilio.Queue queue, CancellationToken ct)
    {
        var bridged = false;
        await StepAsync(async () =>
        {
            if (_state != CallState.Queued || DequeuedBy != agent)
            {
                return;
            }

            var queueTime = Clock.Seconds - EnqueuedAt;
            StopWaiting();
            _state = CallState.Playing;
            if (Attribute(noun, "url") is { } url)
            {
                var document = new Uri(nounDocumentUrl, url.Trim());
                var root = await Webhooks.FetchTwimlAsync(Side, document, MethodOf(noun),
                    [.. CallParameters("in-progress"), new("QueueSid", queue.Sid), new("QueueTime", SimulatedTwilio.Text(queueTime)), new("DequeingCallSid", agent.CallSid)],
                    ct, TwimlChecker.QueueUrlDocument);
                await PlayQueueUrlAsync(root, document, queue, queueTime, agent, ct);
            }

            _agent = agent;
            _bridgedQueueSid = queue.Sid;
            _bridgedQueueTime = queueTime;
            _state = CallState.Connected;
            Hear($"connected to {agent.To}");
            bridged = true;
        });
        return bridged;
    }

    /// <summary>The created call connected to this caller hung up: the &lt;Enqueue&gt; action gets QueueResult=bridged and the caller goes on.</summary>
    internal Task QueueBridgeEndedAsync(OutboundCall agent, CancellationToken ct) => StepAsync(async () =>
    {
        if (_state != CallState.Connected || _agent != agent)
        {
            return;
        }

        _agent = null;
        Hear($"{agent.To} hung up");
        await SettleAsync(await QueueActionAsync("bridged", _bridgedQueueSid, _bridgedQueueTime, callerOnLine: true, ct), ct);
    });

    internal async Task<bool> LegAnswersAsync(DialLeg leg, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_state != CallState.Dialing || leg.State != LegState.Ringing || !Legs.Contains(leg))
            {
                return false;
            }

            leg.State = LegState.Answered;
            leg.AnsweredAt = Clock.Seconds;
            leg.Hear("answered");
            await LegStatusAsync(leg, "answered", "in-progress", ct);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A leg's whisper stopped: bridge it when it ran to its end, end the leg when it hung up.</summary>
    internal Task LegStoppedAsync(DialLeg leg, PartyStop stop, CancellationToken ct) => StepAsync(async () =>
    {
        if (leg.State != LegState.Answered)
        {
            return;
        }

        switch (stop)
        {
            case PartyStop.EndOfDocument when _state == CallState.Dialing:
                await BridgeAsync(leg, ct);
                break;
            case PartyStop.EndOfDocument:
                await EndLegAsync(leg, "completed", "hangup", ct);
                break;
            case PartyStop.HungUp or PartyStop.Rejected or PartyStop.PersonHungUp:
                await EndLegAsync(leg, "completed", null, ct);
                await FinishDialIfNoLegLeftAsync(ct);
                break;
        }
    });

    /// <summary>A ringing leg declines (busy) or cannot be reached (failed).</summary>
    internal Task LegRefusesAsync(DialLeg leg, string outcome, CancellationToken ct) => StepAsync(async () =>
    {
        if (leg.State != LegState.Ringing)
        {
            throw new CallFlowException($"Leg {leg.Index} is {leg.State}, not ringing.");
        }

        await EndLegAsync(leg, outcome, outcome, ct);
        await FinishDialIfNoLegLeftAsync(ct);
    });

    /// <summary>The person on a leg hangs up: while bridged, the caller goes on with the Dial action's answer.</summary>
    internal Task LegHangsUpAsync(DialLeg leg, CancellationToken ct) => StepAsync(async () =>
    {
        switch (leg.State)
        {
            case LegState.Bridged:
                Hear($"leg {leg.Index} hung up");
                await EndLegAsync(leg, "completed", "hung up", ct);
                await FinishDialAsync("completed", callerOnLine: true, ct);
                break;
            case LegState.Answered:
                await EndLegAsync(leg, "completed", "hung up", ct);
                await FinishDialIfNoLegLeftAsync(ct);
                break;
            default:
                throw new CallFlowException($"Leg {leg.Index} is {leg.State}: only an answered leg can hang up (a ringing one can RejectAsync).");
        }
    });

    internal async Task StepAsync(Func<Task> step)
    {
        await _gate.WaitAsync();
        try
        {
            await step();
        }
        finally
        {
            _gate.Release();
        }
    }

    private protected override List<KeyValuePair<string, string>> CallParameters(string callStatus) =>
    [
        new("CallSid", CallSid),
        new("AccountSid", Options.AccountSid),
        new("From", Options.From),
        new("To", Options.To),
        new("Caller", Options.From),
        new("Called", Options.To),
        new("CallStatus", callStatus),
        new("Direction", "inbound"),
        new("ApiVersion", "2010-04-01"),
    ];

    /// <summary>
    /// &lt;Enqueue&gt;name&lt;/Enqueue&gt;: the caller joins the named queue (made on demand) and Twilio requests the
    /// waitUrl at once (QueueSid, QueuePosition, QueueTime, AvgQueueTime, CurrentQueueSize, MaxQueueSize). A full queue:
    /// the action at once with QueueResult=queue-full.
    /// </summary>
    private protected override async Task<PartyStop> EnqueueAsync(XElement enqueue, CancellationToken ct)
    {
        if (enqueue.HasElements || Attribute(enqueue, "workflowSid") is not null)
        {
            throw new CallFlowException("<Enqueue> with TaskRouter (workflowSid, <Task>) is documented, but the simulated account does not route tasks.");
        }

        var name = enqueue.Value.Trim();
        if (name.Length is 0 or > 64)
        {
            throw new CallFlowException("<Enqueue> needs a queue name of 1 to 64 characters (Twilio's <Enqueue> page).");
        }

        _enqueue = enqueue;
        _enqueueDocumentUrl = DocumentUrl;
        EnqueuedAt = Clock.Seconds;
        DequeuedBy = null;
        int? maxSize = Attribute(enqueue, "maxQueueSize") is null ? null : IntegerOf(enqueue, "maxQueueSize", SimulatedTwilio.DefaultMaxQueueSize);
        _queue = _account.Enqueue(name, this, maxSize);
        if (_queue is null)
        {
            Hear($"queue full: {name}");
            return await QueueActionAsync("queue-full", null, null, callerOnLine: true, ct);
        }

        _state = CallState.Queued;
        Hear($"queued: {name}");
        _idleRounds = 0;
        if (Attribute(enqueue, "waitUrl") is null)
        {
            _holdMusic = true;
            Hear("play: Twilio's default hold music");
            _waitVerbLeft = HoldMusicSeconds;
            return PartyStop.Queued;
        }

        _holdMusic = false;
        await FetchWaitDocumentAsync(null, null, ct);
        return await NextWaitVerbAsync(ct);
    }

    /// <summary>Rings every &lt;Number&gt; at once (or the Dial's own text, a single number).</summary>
    private protected override async Task<PartyStop> DialAsync(XElement dial, CancellationToken ct)
    {
        var nouns = dial.Elements().ToList();
        if (nouns.Any(n => n.Name.LocalName != "Number"))
        {
            throw new CallFlowException("The simulated call dials <Number> nouns (or a number as the Dial's text) only.");
        }

        _dial = dial;
        _dialDocumentUrl = DocumentUrl;
        _dialStartedAt = Clock.Seconds;
        _bridged = null;
        var callerId = Attribute(dial, "callerId") ?? Options.From;
        var targets = nouns.Count > 0 ? nouns.Select(n => (Number: n.Value.Trim(), Noun: (XElement?)n)) : [(dial.Value.Trim(), null)];
        var legs = targets.Select((t, i) => new DialLeg(this, Webhooks, Clock, Options, i + 1, t.Number, callerId, t.Noun)).ToList();
        Volatile.Write(ref _legs, legs);
        _state = CallState.Dialing;
        foreach (var leg in legs)
        {
            Hear($"ringing: {leg.Number}");
            leg.Hear($"ringing (caller id {callerId})");
            await LegStatusAsync(leg, "initiated", "initiated", ct);
            await LegStatusAsync(leg, "ringing", "ringing", ct);
        }

        return PartyStop.Dialing;
    }

    private async Task SettleAsync(PartyStop stop, CancellationToken ct)
    {
        switch (stop)
        {
            case PartyStop.WaitingForKeys:
                _state = CallState.WaitingForKeys;
                break;
            case PartyStop.WaitingForRecording:
                _state = CallState.Recording;
                break;
            case PartyStop.Dialing:
                _state = CallState.Dialing;
                break;
            case PartyStop.Queued:
                _state = CallState.Queued;
                break;
            case PartyStop.EndOfDocument:
                // Twilio hangs up when the document runs out.
                Hear("hangup");
                await EndAsync("completed", ct);
                break;
            case PartyStop.HungUp or PartyStop.PersonHungUp:
                await EndAsync("completed", ct);
                break;
            case PartyStop.Rejected:
                await EndAsync(RejectReason == "busy" ? "busy" : "no-answer", ct);
                break;
        }
    }

    /// <summary>
    /// Plays the waitUrl document on: zero-time verbs at once (Redirect, Leave, Hangup), up to the next verb that takes
    /// time; when the document has ended, requests the waitUrl again. Queued while the caller stays in the queue.
    /// </summary>
    private async Task<PartyStop> NextWaitVerbAsync(CancellationToken ct)
    {
        while (DequeuedBy is null)
        {
            if (_holdMusic)
            {
                _waitVerbLeft = HoldMusicSeconds;
                return PartyStop.Queued;
            }

            if (_waitNext >= _waitVerbs.Count)
            {
                _idleRounds = Clock.Seconds == _roundStartedAt ? _idleRounds + 1 : 0;
                if (_idleRounds > MaxIdleWaitRounds)
                {
                    throw new CallFlowException(
                        $"The waitUrl document was requested {_idleRounds} times in a row without taking any time (no <Pause>, <Say> or <Play>, no <Leave>): Twilio would request it for ever.");
                }

                await FetchWaitDocumentAsync(null, null, ct);
                continue;
            }

            var verb = _waitVerbs[_waitNext++];
            switch (verb.Name.LocalName)
            {
                case "Say":
                    Say(verb);
                    _waitVerbLeft = SpokenTime(verb);
                    return PartyStop.Queued;
                case "Play":
                    await PlayAsync(verb, ct, _waitDocumentUrl);
                    _waitVerbLeft = SpokenTime(verb);
                    return PartyStop.Queued;
                case "Pause":
                    var length = IntegerOf(verb, "length", 1);
                    Hear($"pause {SimulatedTwilio.Text(length)}s");
                    _waitVerbLeft = length;
                    if (length > 0)
                    {
                        return PartyStop.Queued;
                    }

                    break;
                case "Redirect":
                    await FetchWaitDocumentAsync(new Uri(_waitDocumentUrl!, verb.Value.Trim()), MethodOf(verb), ct);
                    break;
                case "Leave":
                    Hear("left the queue");
                    return await LeaveQueueAsync("leave", callerOnLine: true, ct);
                case "Hangup":
                    Hear("hangup");
                    return await LeaveQueueAsync("hangup", callerOnLine: false, ct);
                default:
                    throw new CallFlowException($"<{verb.Name.LocalName}> in a waitUrl document is documented, but the simulated call does not play it there.");
            }
        }

        return PartyStop.Queued;
    }

    private static long SpokenTime(XElement verb) => IntegerOf(verb, "loop", 1) is var loop and > 0 ? loop * SpokenSeconds : HoldMusicSeconds;

    /// <summary>Requests the waitUrl (or, for a &lt;Redirect&gt; in it, <paramref name="url"/>) and makes it the wait document.</summary>
    private async Task FetchWaitDocumentAsync(Uri? url, string? method, CancellationToken ct)
    {
        var enqueue = _enqueue!;
        if (url is null)
        {
            _roundStartedAt = Clock.Seconds;
        }

        url ??= new Uri(_enqueueDocumentUrl!, Attribute(enqueue, "waitUrl")!.Trim());
        method ??= MethodOf(enqueue, "waitUrlMethod");
        var root = await Webhooks.FetchTwimlAsync(Side, url, method,
            [.. CallParameters("in-progress"), .. _account.WaitParameters(_queue!, this)], ct, TwimlChecker.WaitUrlDocument);
        _waitDocumentUrl = url;
        _waitVerbs = [.. root.Elements()];
        _waitNext = 0;
        _waitVerbLeft = 0;
    }

    private void StopWaiting()
    {
        _queue = null;
        _waitVerbs = [];
        _waitNext = 0;
        _waitVerbLeft = 0;
        _holdMusic = false;
    }

    /// <summary>
    /// The caller leaves the queue (&lt;Leave&gt;: QueueResult=leave; hanging up: hangup). Queued (nothing done) when a
    /// &lt;Dial&gt;&lt;Queue&gt; had taken the caller meanwhile.
    /// </summary>
    private async Task<PartyStop> LeaveQueueAsync(string queueResult, bool callerOnLine, CancellationToken ct)
    {
        var queue = _queue!;
        if (!_account.Remove(queue, this))
        {
            return callerOnLine ? PartyStop.Queued : await QueueActionAsync(queueResult, queue.Sid, Clock.Seconds - EnqueuedAt, callerOnLine, ct);
        }

        var queueTime = Clock.Seconds - EnqueuedAt;
        StopWaiting();
        _state = CallState.Playing;
        return await QueueActionAsync(queueResult, queue.Sid, queueTime, callerOnLine, ct);
    }

    /// <summary>
    /// The &lt;Enqueue&gt; is over: Twilio requests its action (QueueResult, QueueSid, QueueTime) and the caller, if still
    /// on the line, goes on with the answer; without an action, with the verbs after the &lt;Enqueue&gt;.
    /// </summary>
    private async Task<PartyStop> QueueActionAsync(string queueResult, string? queueSid, long? queueTime, bool callerOnLine, CancellationToken ct)
    {
        var enqueue = _enqueue!;
        _enqueue = null;
        List<KeyValuePair<string, string>> result = [new("QueueResult", queueResult)];
        if (queueSid is not null)
        {
            result.Add(new("QueueSid", queueSid));
            result.Add(new("QueueTime", SimulatedTwilio.Text(queueTime ?? 0)));
        }

        if (Attribute(enqueue, "action") is not { } action)
        {
            return callerOnLine ? await RunAsync(ct) : PartyStop.PersonHungUp;
        }

        var url = new Uri(_enqueueDocumentUrl!, action.Trim());
        if (callerOnLine)
        {
            return await FetchAndRunAsync(url, MethodOf(enqueue), "in-progress", result, ct);
        }

        // The caller is gone: Twilio still requests the action (its answer is checked, not played), then the status callback.
        await Webhooks.FetchTwimlAsync(Side, url, MethodOf(enqueue), [.. CallParameters("completed"), .. result], ct);
        return PartyStop.PersonHungUp;
    }

    /// <summary>The Queue noun's url document, played to the caller before the bridge: Play, Say, Pause, Redirect.</summary>
    private async Task PlayQueueUrlAsync(XElement root, Uri document, SimulatedTwilio.Queue queue, long queueTime, OutboundCall agent, CancellationToken ct)
    {
        foreach (var verb in root.Elements())
        {
            switch (verb.Name.LocalName)
            {
                case "Say":
                    Say(verb);
                    break;
                case "Play":
                    await PlayAsync(verb, ct, document);
                    break;
                case "Pause":
                    Pause(verb);
                    break;
                case "Redirect":
                    var next = new Uri(document, verb.Value.Trim());
                    var answer = await Webhooks.FetchTwimlAsync(Side, next, MethodOf(verb),
                        [.. CallParameters("in-progress"), new("QueueSid", queue.Sid), new("QueueTime", SimulatedTwilio.Text(queueTime)), new("DequeingCallSid", agent.CallSid)],
                        ct, TwimlChecker.QueueUrlDocument);
                    await PlayQueueUrlAsync(answer, next, queue, queueTime, agent, ct);
                    return;
            }
        }
    }

    /// <summary>The call is over: Twilio posts the number's status callback with the final CallStatus and CallDuration.</summary>
    private async Task EndAsync(string callStatus, CancellationToken ct)
    {
        _state = CallState.Ended;
        await HangUpLegsAsync(except: null, ct);
        if (Options.StatusCallbackPath is { } path)
        {
            await Webhooks.NotifyAsync(Side, new Uri(Options.PublicBase, path), "POST",
                [.. CallParameters(callStatus), new("CallDuration", ElapsedSeconds.ToString(CultureInfo.InvariantCulture))], ct);
        }
    }

    /// <summary>The first leg whose whisper ends is connected; every other leg is cancelled or hung up.</summary>
    private async Task BridgeAsync(DialLeg leg, CancellationToken ct)
    {
        _bridged = leg;
        _bridgedAt = Clock.Seconds;
        leg.State = LegState.Bridged;
        leg.Hear("connected to caller");
        Hear($"connected to leg {leg.Index}");
        _state = CallState.Connected;
        await HangUpLegsAsync(except: leg, ct);
    }

    private async Task HangUpLegsAsync(DialLeg? except, CancellationToken ct)
    {
        foreach (var other in Legs.Where(l => l != except))
        {
            switch (other.State)
            {
                case LegState.Ringing:
                    await EndLegAsync(other, "canceled", "cancelled", ct);
                    break;
                case LegState.Answered or LegState.Bridged:
                    await EndLegAsync(other, "completed", "hangup", ct);
                    break;
            }
        }
    }

    private async Task EndLegAsync(DialLeg leg, string outcome, string? heard, CancellationToken ct)
    {
        leg.State = LegState.Ended;
        leg.Outcome = outcome;
        if (heard is not null)
        {
            leg.Hear(heard);
        }

        await LegStatusAsync(leg, "completed", outcome, ct);
    }

    private async Task FinishDialIfNoLegLeftAsync(CancellationToken ct)
    {
        var legs = Legs;
        if (_state != CallState.Dialing || legs.Any(l => l.State is LegState.Ringing or LegState.Answered))
        {
            return;
        }

        var status = legs.All(l => l.Outcome == "busy") ? "busy" : legs.All(l => l.Outcome == "failed") ? "failed" : "no-answer";
        await FinishDialAsync(status, callerOnLine: true, ct);
    }

    /// <summary>
    /// The Dial is over: Twilio posts its action (if any) and the caller, if still on the line, goes on with the answer;
    /// without an action the caller goes on with the verb after the Dial.
    /// </summary>
    private async Task FinishDialAsync(string dialCallStatus, bool callerOnLine, CancellationToken ct)
    {
        var dial = _dial!;
        _dial = null;
        _state = CallState.Playing;
        var bridged = _bridged;
        List<KeyValuePair<string, string>> result = [new("DialCallStatus", dialCallStatus), new("DialBridged", bridged is null ? "false" : "true")];
        if (bridged is not null)
        {
            result.Add(new("DialCallSid", bridged.CallSid));
            result.Add(new("DialCallDuration", (Clock.Seconds - _bridgedAt).ToString(CultureInfo.InvariantCulture)));
        }

        if (Attribute(dial, "action") is not { } action)
        {
            await SettleAsync(callerOnLine ? await RunAsync(ct) : PartyStop.PersonHungUp, ct);
            return;
        }

        var url = new Uri(_dialDocumentUrl!, action.Trim());
        if (callerOnLine)
        {
            await SettleAsync(await FetchAndRunAsync(url, MethodOf(dial), "in-progress", result, ct), ct);
            return;
        }

        // The caller hung up: Twilio still posts the action (its answer is checked, not played), then the status callback.
        await Webhooks.FetchTwimlAsync(Side, url, MethodOf(dial), [.. CallParameters("completed"), .. result], ct);
        await EndAsync("completed", ct);
    }

    /// <summary>A leg's statusCallback, for the events its &lt;Number statusCallbackEvent&gt; asks (default: completed).</summary>
    private async Task LegStatusAsync(DialLeg leg, string callbackEvent, string callStatus, CancellationToken ct)
    {
        if (leg.Noun is not { } noun || Attribute(noun, "statusCallback") is not { } callback)
        {
            return;
        }

        var events = (Attribute(noun, "statusCallbackEvent") ?? "completed").Split([' ', ','], StringSplitOptions.RemoveEmptyEntries);
        if (!events.Contains(callbackEvent))
        {
            return;
        }

        List<KeyValuePair<string, string>> parameters = [.. leg.ParametersFor(callStatus), new("CallbackSource", "call-progress-events"), new("SequenceNumber", leg.NextSequenceNumber())];
        if (callbackEvent == "completed")
        {
            parameters.Add(new("CallDuration", (leg.AnsweredAt is { } answeredAt ? Clock.Seconds - answeredAt : 0).ToString(CultureInfo.InvariantCulture)));
        }

        await Webhooks.NotifyAsync(leg.SideName, new Uri(DialDocumentUrl, callback.Trim()), MethodOf(noun, "statusCallbackMethod"), parameters, ct);
    }

    private void Expect(CallState state)
    {
        if (_state != state)
        {
            throw new CallFlowException($"The call is {_state}, not {state}.{Environment.NewLine}Caller heard:{Environment.NewLine}{string.Join(Environment.NewLine, Heard)}");
        }
    }
}

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
public sealed class SimulatedCall : DialingParty
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
    private volatile CallState _state = CallState.Playing;

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

    internal override string LegSidePrefix => "leg ";

    internal override bool MasksDialledNumbers => false;

    private protected override string Side => "caller";

    private protected override bool RingingNumbers => _state == CallState.Dialing;

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
                var leg = BridgedLeg!;
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
        await NumbersTimeOutAsync(ct);
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

    /// <summary>Rings every &lt;Number&gt; at once (or the Dial's own text, a single number); the caller ID is the caller's own number unless the Dial sets one.</summary>
    private protected override async Task<PartyStop> DialAsync(XElement dial, CancellationToken ct)
    {
        var stop = await RingNumbersAsync(dial, Options.From, ct);
        _state = CallState.Dialing;
        return stop;
    }

    private protected override Task LockedAsync(Func<Task> step) => StepAsync(step);

    private protected override void Connected(DialLeg leg)
    {
        Hear($"connected to leg {leg.Index}");
        _state = CallState.Connected;
    }

    private protected override Task NumbersDialOverAsync(string dialCallStatus, bool onLine, CancellationToken ct) =>
        FinishDialAsync(dialCallStatus, onLine, ct);

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

    /// <summary>
    /// The Dial is over: Twilio posts its action (if any) and the caller, if still on the line, goes on with the answer;
    /// without an action the caller goes on with the verb after the Dial.
    /// </summary>
    private async Task FinishDialAsync(string dialCallStatus, bool callerOnLine, CancellationToken ct)
    {
        _state = CallState.Playing;
        var bridged = BridgedLeg;

        // The caller gone, the answer is not played: PersonHungUp ends the call (then the status callback).
        await SettleAsync(await DialActionAsync(dialCallStatus, bridged?.CallSid, callerOnLine, ct), ct);
    }

    private void Expect(CallState state)
    {
        if (_state != state)
        {
            throw new CallFlowException($"The call is {_state}, not {state}.{Environment.NewLine}Caller heard:{Environment.NewLine}{string.Join(Environment.NewLine, Heard)}");
        }
    }
}

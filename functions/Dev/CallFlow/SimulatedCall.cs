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

    /// <summary>The caller talks with the bridged leg.</summary>
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
    private readonly SemaphoreSlim _gate = new(1, 1);
    private List<DialLeg> _legs = [];
    private volatile CallState _state = CallState.Playing;
    private XElement? _dial;
    private Uri? _dialDocumentUrl;
    private long _dialStartedAt;
    private DialLeg? _bridged;
    private long _bridgedAt;

    private SimulatedCall(HttpClient app, SimulatedCallOptions options)
        : base(new CallWebhooks(app, options), new CallClock(), options, TwilioSids.New("CA"))
    {
    }

    public CallState State => _state;

    /// <summary>What the caller heard (see <see cref="CallParty.Heard"/>), plus <c>ringing: number</c> and <c>connected to leg N</c>.</summary>
    public IReadOnlyList<string> CallerHeard => Heard;

    /// <summary>The numbers the current (latest) &lt;Dial&gt; rang, in document order.</summary>
    public IReadOnlyList<DialLeg> Legs => Volatile.Read(ref _legs);

    /// <summary>Every request made to the app, in order.</summary>
    public IReadOnlyList<WebhookRequest> Requests => Webhooks.Requests;

    /// <summary>Seconds since the call came in, on the simulated clock.</summary>
    public long ElapsedSeconds => Clock.Seconds;

    /// <summary>The document that held the current Dial: its Number url and statusCallback resolve against it.</summary>
    internal Uri DialDocumentUrl => _dialDocumentUrl!;

    private protected override string Side => "caller";

    private protected override bool Live => _state != CallState.Ended;

    /// <summary>A call comes in: Twilio posts the number's voice webhook with CallStatus=ringing and plays the answer.</summary>
    /// <param name="app">An HttpClient whose BaseAddress is the app on loopback.</param>
    public static async Task<SimulatedCall> StartAsync(HttpClient app, SimulatedCallOptions options, CancellationToken ct = default)
    {
        var call = new SimulatedCall(app, options);
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
    public Task HangUpAsync(CancellationToken ct = default) => StepAsync(async () =>
    {
        if (_state == CallState.Ended)
        {
            throw new CallFlowException("The call has already ended.");
        }

        Hear("caller hung up");
        switch (_state)
        {
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
    });

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

    /// <summary>The call is over: Twilio posts the number's status callback with the final CallStatus and CallDuration.</summary>
    private async Task EndAsync(string callStatus, CancellationToken ct)
    {
        _state = CallState.Ended;
        await HangUpLegsAsync(except: null, ct);
        if (Options.StatusCallbackPath is { } path)
        {
            await Webhooks.NotifyAsync(Side, new Uri(Options.PublicBase, path), "POST",
                [.. CallParameters(callStatus), new("CallDuration", Clock.Seconds.ToString(CultureInfo.InvariantCulture))], ct);
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

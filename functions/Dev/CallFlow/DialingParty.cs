using System.Globalization;
using System.Xml.Linq;

namespace Hotline.Functions.Dev.CallFlow;

/// <summary>
/// A call whose document may hold &lt;Dial&gt; with &lt;Number&gt; nouns: the caller who came in, or a call the app
/// created through the REST API. It rings every number at once as a <see cref="DialLeg"/> (a child call), bridges the
/// first whose whisper ends, and when the Dial is over has Twilio request its action with DialCallStatus, DialBridged
/// and, once bridged, DialCallSid and DialCallDuration.
/// </summary>
/// <remarks>
/// Every change happens inside the call's own step (<see cref="LockedAsync"/>); a leg fetches its whisper outside it.
/// A leg ends once only, so a hang-up arriving from elsewhere (the REST API) meanwhile does not end it twice.
/// </remarks>
public abstract class DialingParty : CallParty
{
    private readonly object _legsLock = new();
    private List<DialLeg> _legs = [];
    private XElement? _dial;
    private DialLeg? _bridgedLeg;

    private protected DialingParty(CallWebhooks webhooks, CallClock clock, SimulatedCallOptions options, string callSid)
        : base(webhooks, clock, options, callSid)
    {
    }

    /// <summary>The numbers the current (latest) &lt;Dial&gt; rang, in document order.</summary>
    public IReadOnlyList<DialLeg> Legs => Volatile.Read(ref _legs);

    /// <summary>The document that held the current Dial: its action, Number url and statusCallback resolve against it.</summary>
    internal Uri DialDocumentUrl { get; private set; } = null!;

    /// <summary>"leg " for a caller's legs, "call N leg " for a created call's: the side of a leg's requests, before its index.</summary>
    internal abstract string LegSidePrefix { get; }

    /// <summary>Whether the transcripts and the page show this call's dialled numbers masked (a caller's number).</summary>
    internal abstract bool MasksDialledNumbers { get; }

    /// <summary>The Dial being played (&lt;Number&gt; or &lt;Queue&gt;), until it is over.</summary>
    private protected XElement? CurrentDial => Volatile.Read(ref _dial);

    private protected long DialStartedAt { get; private set; }

    /// <summary>When the Dial connected (to a leg, or to a queued caller).</summary>
    private protected long BridgedAt { get; set; }

    /// <summary>The leg connected to this call, while it is.</summary>
    private protected DialLeg? BridgedLeg => Volatile.Read(ref _bridgedLeg);

    /// <summary>When the numbers still ringing end no-answer: the Dial's start plus its timeout (default 30 s).</summary>
    private protected long NumbersDeadline => DialStartedAt + IntegerOf(CurrentDial!, "timeout", 30);

    /// <summary>Whether this call is ringing the Dial's numbers (not yet bridged, the Dial not over).</summary>
    private protected abstract bool RingingNumbers { get; }

    /// <summary>Runs <paramref name="step"/> as one step of this call, after any other.</summary>
    private protected abstract Task LockedAsync(Func<Task> step);

    /// <summary>This call is now connected with <paramref name="leg"/>.</summary>
    private protected abstract void Connected(DialLeg leg);

    /// <summary>The numbers' Dial is over: its action (see <see cref="DialActionAsync"/>), then whatever this call does next.</summary>
    private protected abstract Task NumbersDialOverAsync(string dialCallStatus, bool onLine, CancellationToken ct);

    internal static string Masked(string number) => number.Length > 4 ? "•••• " + number[^4..] : "••••";

    /// <summary>The Dial starts: relative URLs in it resolve against the current document.</summary>
    private protected void StartDial(XElement dial)
    {
        Volatile.Write(ref _dial, dial);
        DialDocumentUrl = DocumentUrl;
        DialStartedAt = Clock.Seconds;
        Volatile.Write(ref _bridgedLeg, null);
    }

    /// <summary>
    /// Rings every &lt;Number&gt; at once (or the Dial's own text, a single number), showing the Dial's callerId, or
    /// <paramref name="defaultCallerId"/> without one.
    /// </summary>
    private protected async Task<PartyStop> RingNumbersAsync(XElement dial, string defaultCallerId, CancellationToken ct)
    {
        var nouns = dial.Elements().ToList();
        if (nouns.Any(n => n.Name.LocalName != "Number"))
        {
            throw new CallFlowException($"{Side}: the simulated call dials <Number> nouns (or a number as the Dial's text) together, nothing else.");
        }

        StartDial(dial);
        var callerId = Attribute(dial, "callerId") ?? defaultCallerId;
        var targets = nouns.Count > 0 ? nouns.Select(n => (Number: n.Value.Trim(), Noun: (XElement?)n)) : [(dial.Value.Trim(), null)];
        var legs = targets.Select((t, i) => new DialLeg(this, Webhooks, Clock, Options, i + 1, t.Number, callerId, t.Noun)).ToList();
        Volatile.Write(ref _legs, legs);
        foreach (var leg in legs)
        {
            Hear($"ringing: {(MasksDialledNumbers ? leg.MaskedNumber : leg.Number)}");
            leg.Hear($"ringing (caller id {callerId})");
            await LegStatusAsync(leg, "initiated", "initiated", ct);
            await LegStatusAsync(leg, "ringing", "ringing", ct);
        }

        return PartyStop.Dialing;
    }

    /// <summary>The Dial's timeout has passed (the clock is moved there): legs still ringing end no-answer.</summary>
    private protected async Task NumbersTimeOutAsync(CancellationToken ct)
    {
        Clock.AdvanceTo(NumbersDeadline);
        foreach (var leg in Legs.Where(l => l.State == LegState.Ringing))
        {
            await EndLegAsync(leg, "no-answer", "no answer", ct);
        }

        await FinishDialIfNoLegLeftAsync(ct);
    }

    /// <summary>
    /// The Dial is over: Twilio requests its action (if any) with DialCallStatus, DialBridged and, when it connected,
    /// DialCallSid (<paramref name="bridgedSid"/>) and DialCallDuration. On the line, the answer plays (without an
    /// action, the verbs after the Dial); gone, the answer is checked but not played.
    /// </summary>
    private protected async Task<PartyStop> DialActionAsync(string dialCallStatus, string? bridgedSid, bool onLine, CancellationToken ct)
    {
        var dial = Interlocked.Exchange(ref _dial, null) ?? throw new CallFlowException($"{Side}: no <Dial> is going on.");
        List<KeyValuePair<string, string>> result = [new("DialCallStatus", dialCallStatus), new("DialBridged", bridgedSid is null ? "false" : "true")];
        if (bridgedSid is not null)
        {
            result.Add(new("DialCallSid", bridgedSid));
            result.Add(new("DialCallDuration", (Clock.Seconds - BridgedAt).ToString(CultureInfo.InvariantCulture)));
        }

        if (Attribute(dial, "action") is not { } action)
        {
            return onLine ? await RunAsync(ct) : PartyStop.PersonHungUp;
        }

        var url = new Uri(DialDocumentUrl, action.Trim());
        if (onLine)
        {
            return await FetchAndRunAsync(url, MethodOf(dial), "in-progress", result, ct);
        }

        // Nobody is left on this side: Twilio still requests the action (its answer is checked, not played).
        await Webhooks.FetchTwimlAsync(Side, url, MethodOf(dial), [.. CallParameters("completed"), .. result], ct);
        return PartyStop.PersonHungUp;
    }

    /// <summary>This call hangs up: ringing legs are cancelled, an answered or bridged one is hung up.</summary>
    private protected async Task HangUpLegsAsync(DialLeg? except, CancellationToken ct)
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

    /// <summary>Ends <paramref name="leg"/> (once) and posts its statusCallback; false when it had already ended.</summary>
    private protected async Task<bool> EndLegAsync(DialLeg leg, string outcome, string? heard, CancellationToken ct)
    {
        lock (_legsLock)
        {
            if (leg.State == LegState.Ended)
            {
                return false;
            }

            leg.State = LegState.Ended;
            leg.Outcome = outcome;
        }

        if (heard is not null)
        {
            leg.Hear(heard);
        }

        await LegStatusAsync(leg, "completed", outcome, ct);
        return true;
    }

    /// <summary>The Dial after a leg ended: over when no leg rings or is in its whisper (busy/failed when every leg was, else no-answer).</summary>
    private protected async Task FinishDialIfNoLegLeftAsync(CancellationToken ct)
    {
        var legs = Legs;
        if (!RingingNumbers || legs.Any(l => l.State is LegState.Ringing or LegState.Answered))
        {
            return;
        }

        var status = legs.All(l => l.Outcome == "busy") ? "busy" : legs.All(l => l.Outcome == "failed") ? "failed" : "no-answer";
        await NumbersDialOverAsync(status, onLine: true, ct);
    }

    internal async Task<bool> LegAnswersAsync(DialLeg leg, CancellationToken ct)
    {
        var answered = false;
        await LockedAsync(async () =>
        {
            lock (_legsLock)
            {
                if (!RingingNumbers || leg.State != LegState.Ringing || !Legs.Contains(leg))
                {
                    return;
                }

                leg.State = LegState.Answered;
                leg.AnsweredAt = Clock.Seconds;
            }

            leg.Hear("answered");
            await LegStatusAsync(leg, "answered", "in-progress", ct);
            answered = true;
        });
        return answered;
    }

    /// <summary>A leg's whisper stopped: bridge it when it ran to its end, end the leg when it hung up.</summary>
    internal Task LegStoppedAsync(DialLeg leg, PartyStop stop, CancellationToken ct) => LockedAsync(async () =>
    {
        if (leg.State != LegState.Answered)
        {
            return;
        }

        switch (stop)
        {
            case PartyStop.EndOfDocument when RingingNumbers:
                // The first whisper to end is connected; every other leg is cancelled or hung up.
                Volatile.Write(ref _bridgedLeg, leg);
                BridgedAt = Clock.Seconds;
                leg.State = LegState.Bridged;
                leg.Hear("connected to caller");
                Connected(leg);
                await HangUpLegsAsync(except: leg, ct);
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
    internal Task LegRefusesAsync(DialLeg leg, string outcome, CancellationToken ct) => LockedAsync(async () =>
    {
        if (leg.State != LegState.Ringing || !await EndLegAsync(leg, outcome, outcome, ct))
        {
            throw new CallFlowException($"Leg {leg.Index} is {leg.State}, not ringing.");
        }

        await FinishDialIfNoLegLeftAsync(ct);
    });

    /// <summary>The person on a leg hangs up: while bridged, this call goes on with the Dial action's answer.</summary>
    internal Task LegHangsUpAsync(DialLeg leg, CancellationToken ct) => LockedAsync(async () =>
    {
        switch (leg.State)
        {
            case LegState.Bridged:
                Hear($"leg {leg.Index} hung up");
                if (await EndLegAsync(leg, "completed", "hung up", ct))
                {
                    await NumbersDialOverAsync("completed", onLine: true, ct);
                }

                break;
            case LegState.Answered:
                await EndLegAsync(leg, "completed", "hung up", ct);
                await FinishDialIfNoLegLeftAsync(ct);
                break;
            default:
                throw new CallFlowException($"Leg {leg.Index} is {leg.State}: only an answered leg can hang up (a ringing one can RejectAsync).");
        }
    });

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
}

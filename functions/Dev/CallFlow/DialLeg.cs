using System.Globalization;
using System.Xml.Linq;

namespace Hotline.Functions.Dev.CallFlow;

public enum LegState
{
    Ringing,

    /// <summary>Picked up; its &lt;Number url&gt; document (the whisper) is playing or waiting for keys.</summary>
    Answered,

    /// <summary>Connected to the call that dialled it.</summary>
    Bridged,

    /// <summary>Over: see <see cref="DialLeg.Outcome"/>.</summary>
    Ended,
}

/// <summary>
/// One number a &lt;Dial&gt; rings: a child call of the call whose document dialled (the caller who came in, or a
/// call the app created). When it answers, Twilio requests the &lt;Number url&gt;
/// for it (CallSid of this leg, ParentCallSid, From = the Dial's callerId, To = the number, Direction=outbound-dial,
/// CallStatus=in-progress) and plays that document to this person only; when the document ends without &lt;Hangup&gt;,
/// the leg is bridged to that call and every other leg is cancelled.
/// </summary>
public sealed class DialLeg : CallParty
{
    private readonly DialingParty _call;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private int _sequence;
    private volatile LegState _state = LegState.Ringing;

    internal DialLeg(DialingParty call, CallWebhooks webhooks, CallClock clock, SimulatedCallOptions options, int index, string number, string callerId, XElement? noun)
        : base(webhooks, clock, options, TwilioSids.New("CA"))
    {
        _call = call;
        Index = index;
        Number = number;
        CallerId = callerId;
        Noun = noun;
    }

    /// <summary>1 for the Dial's first number, 2 for the second...</summary>
    public int Index { get; }

    /// <summary>The number dialled.</summary>
    public string Number { get; }

    /// <summary>The number as the page shows it: <c>•••• 0123</c>.</summary>
    public string MaskedNumber => DialingParty.Masked(Number);

    /// <summary>The caller ID this number sees: the Dial's callerId, or else the dialling call's own number.</summary>
    public string CallerId { get; }

    public LegState State
    {
        get => _state;
        internal set => _state = value;
    }

    /// <summary>How the leg ended, as Twilio's CallStatus: completed, canceled, busy, failed, no-answer; null until then.</summary>
    public string? Outcome { get; internal set; }

    internal XElement? Noun { get; }

    internal long? AnsweredAt { get; set; }

    internal string SideName => Side;

    private protected override string Side => _call.LegSidePrefix + Index.ToString(CultureInfo.InvariantCulture);

    private protected override bool Live => _state is LegState.Answered or LegState.Bridged;

    /// <summary>The person picks up: Twilio fetches and plays the &lt;Number url&gt; document, or bridges at once without one.</summary>
    public Task AnswerAsync(CancellationToken ct = default) => TurnAsync(async () =>
    {
        if (!await _call.LegAnswersAsync(this, ct))
        {
            throw new CallFlowException($"Leg {Index} is {State}: it can no longer answer.");
        }

        var stop = Noun is not null && Attribute(Noun, "url") is { } url
            ? await FetchAndRunAsync(new Uri(DialDocumentUrl, url.Trim()), MethodOf(Noun), "in-progress", [], ct)
            : PartyStop.EndOfDocument;
        await _call.LegStoppedAsync(this, stop, ct);
    });

    /// <summary>
    /// The person presses <paramref name="keys"/> at the whisper's &lt;Gather&gt;. Ignored once the leg has been hung
    /// up (another leg took the call), as Twilio would have dropped it.
    /// </summary>
    public Task PressAsync(string keys, CancellationToken ct = default) => InputAsync(() => KeysAsync(keys, ct), ct);

    /// <summary>The person says nothing at the whisper's &lt;Gather&gt;.</summary>
    public Task StayQuietAsync(CancellationToken ct = default) => InputAsync(() => KeysAsync(null, ct), ct);

    /// <summary>The number is busy (or the person declines): the leg ends with busy.</summary>
    public Task RejectAsync(CancellationToken ct = default) => _call.LegRefusesAsync(this, "busy", ct);

    /// <summary>The number cannot be reached: the leg ends with failed.</summary>
    public Task FailAsync(CancellationToken ct = default) => _call.LegRefusesAsync(this, "failed", ct);

    /// <summary>The person hangs up: during the whisper the others keep ringing; once bridged the Dial is over.</summary>
    public Task HangUpAsync(CancellationToken ct = default) => _call.LegHangsUpAsync(this, ct);

    internal List<KeyValuePair<string, string>> ParametersFor(string callStatus) => CallParameters(callStatus);

    internal string NextSequenceNumber() => (Interlocked.Increment(ref _sequence) - 1).ToString(CultureInfo.InvariantCulture);

    private Uri DialDocumentUrl => _call.DialDocumentUrl;

    private protected override List<KeyValuePair<string, string>> CallParameters(string callStatus) =>
    [
        new("CallSid", CallSid),
        new("ParentCallSid", _call.CallSid),
        new("AccountSid", Options.AccountSid),
        new("From", CallerId),
        new("To", Number),
        new("Caller", CallerId),
        new("Called", Number),
        new("CallStatus", callStatus),
        new("Direction", "outbound-dial"),
        new("ApiVersion", "2010-04-01"),
    ];

    private Task InputAsync(Func<Task<PartyStop>> input, CancellationToken ct) => TurnAsync(async () =>
    {
        if (State is LegState.Ended)
        {
            return;
        }

        if (State is not LegState.Answered)
        {
            throw new CallFlowException($"Leg {Index} is {State}: keys go to an answered leg's whisper.");
        }

        await _call.LegStoppedAsync(this, await input(), ct);
    });

    /// <summary>One step at a time on this leg; other legs and the caller are not held up meanwhile.</summary>
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

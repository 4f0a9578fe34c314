using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Hotline.Functions.Dev.CallFlow;

/// <summary>Where one side's TwiML stopped running.</summary>
internal enum PartyStop
{
    /// <summary>A &lt;Gather&gt; waits for keys.</summary>
    WaitingForKeys,

    /// <summary>A &lt;Record&gt; waits for the recording.</summary>
    WaitingForRecording,

    /// <summary>A &lt;Dial&gt; rings its numbers.</summary>
    Dialing,

    /// <summary>The document ran out of verbs (Twilio then hangs up, or bridges a whisper's leg).</summary>
    EndOfDocument,

    /// <summary>&lt;Hangup&gt;.</summary>
    HungUp,

    /// <summary>&lt;Reject&gt;.</summary>
    Rejected,

    /// <summary>The person on this side hung up (during a recording).</summary>
    PersonHungUp,

    /// <summary>This side was hung up meanwhile (a cancelled leg): nothing more plays.</summary>
    Gone,

    /// <summary>&lt;Enqueue&gt;: the caller waits in a queue, hearing the waitUrl.</summary>
    Queued,
}

/// <summary>
/// One side of a call (the caller, or a dialled number answering) as Twilio plays TwiML to it: verb by verb, writing
/// what that person hears as plain lines, until a verb waits for them or the document ends. Relative URLs resolve
/// against the document's own URL, and methods default to POST, as Twilio does.
/// </summary>
public abstract partial class CallParty
{
    private readonly List<string> _heard = [];
    private List<XElement> _verbs = [];
    private int _next;

    private protected CallParty(CallWebhooks webhooks, CallClock clock, SimulatedCallOptions options, string callSid)
    {
        Webhooks = webhooks;
        Clock = clock;
        Options = options;
        CallSid = callSid;
    }

    public string CallSid { get; }

    /// <summary>What this side heard, in order: <c>say[lang/voice]: text</c>, <c>play: url</c>, <c>pause 2s</c>, <c>hangup</c>...</summary>
    public IReadOnlyList<string> Heard
    {
        get
        {
            lock (_heard)
            {
                return [.. _heard];
            }
        }
    }

    private protected CallWebhooks Webhooks { get; }

    private protected CallClock Clock { get; }

    private protected SimulatedCallOptions Options { get; }

    /// <summary>The URL of the document being played: relative URLs in it resolve against it.</summary>
    private protected Uri DocumentUrl { get; private set; } = null!;

    /// <summary>The &lt;Gather&gt; or &lt;Record&gt; waiting for this side, if any.</summary>
    private protected XElement? WaitingOn { get; private set; }

    /// <summary>The reason of the &lt;Reject&gt; that ended this side, if one did.</summary>
    private protected string? RejectReason { get; private set; }

    /// <summary>"caller" or "leg N", as written in <see cref="WebhookRequest.Side"/>.</summary>
    private protected abstract string Side { get; }

    /// <summary>False once this side is hung up: Twilio plays nothing more to it.</summary>
    private protected abstract bool Live { get; }

    /// <summary>The parameters Twilio sends with every request about this side's call.</summary>
    private protected abstract List<KeyValuePair<string, string>> CallParameters(string callStatus);

    internal void Hear(string line)
    {
        lock (_heard)
        {
            _heard.Add(line);
        }
    }

    private protected static string? Attribute(XElement element, string name) => element.Attribute(name)?.Value;

    private protected static string MethodOf(XElement element, string attribute = "method") => Attribute(element, attribute) ?? "POST";

    private protected static int IntegerOf(XElement element, string name, int fallback) =>
        Attribute(element, name) is { } value ? int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture) : fallback;

    private protected Uri Resolve(string url) => new(DocumentUrl, url.Trim());

    /// <summary>Requests a document for this side and plays it.</summary>
    private protected async Task<PartyStop> FetchAndRunAsync(
        Uri url, string method, string callStatus, IEnumerable<KeyValuePair<string, string>> extra, CancellationToken ct)
    {
        var root = await Webhooks.FetchTwimlAsync(Side, url, method, [.. CallParameters(callStatus), .. extra], ct);
        DocumentUrl = url;
        _verbs = [.. root.Elements()];
        _next = 0;
        return await RunAsync(ct);
    }

    /// <summary>Plays the rest of the current document.</summary>
    private protected async Task<PartyStop> RunAsync(CancellationToken ct)
    {
        WaitingOn = null;
        while (_next < _verbs.Count)
        {
            if (!Live)
            {
                return PartyStop.Gone;
            }

            var verb = _verbs[_next++];
            switch (verb.Name.LocalName)
            {
                case "Say":
                    Say(verb);
                    break;
                case "Play":
                    await PlayAsync(verb, ct);
                    break;
                case "Pause":
                    Pause(verb);
                    break;
                case "Gather":
                    await PromptAsync(verb, ct);
                    WaitingOn = verb;
                    return PartyStop.WaitingForKeys;
                case "Record":
                    if (Attribute(verb, "playBeep") != "false")
                    {
                        Hear("beep");
                    }

                    WaitingOn = verb;
                    return PartyStop.WaitingForRecording;
                case "Redirect":
                    return await FetchAndRunAsync(Resolve(verb.Value), MethodOf(verb), "in-progress", [], ct);
                case "Hangup":
                    Hear("hangup");
                    return PartyStop.HungUp;
                case "Reject":
                    RejectReason = Attribute(verb, "reason") ?? "rejected";
                    Hear($"rejected ({RejectReason})");
                    return PartyStop.Rejected;
                case "Dial":
                    return await DialAsync(verb, ct);
                case "Enqueue":
                    return await EnqueueAsync(verb, ct);
                case "Leave":
                    throw new CallFlowException($"{Side}: <Leave> takes a call out of a queue; it belongs in an <Enqueue> waitUrl document.");
                default:
                    throw new CallFlowException($"<{verb.Name.LocalName}> is documented TwiML, but the simulated call does not play it.");
            }
        }

        return PartyStop.EndOfDocument;
    }

    /// <summary>A &lt;Dial&gt;: only the caller's side dials (a whisper document may not, per Twilio's &lt;Number&gt; page).</summary>
    private protected virtual Task<PartyStop> DialAsync(XElement dial, CancellationToken ct) =>
        throw new CallFlowException($"{Side}: a <Number> url document may not contain <Dial>.");

    /// <summary>An &lt;Enqueue&gt;: only a call that came in is put in a queue by the simulated account.</summary>
    private protected virtual Task<PartyStop> EnqueueAsync(XElement enqueue, CancellationToken ct) =>
        throw new CallFlowException($"{Side}: the simulated account queues calls that came in, not this one.");

    /// <summary>
    /// The person presses <paramref name="keys"/> (null: stays quiet) while a &lt;Gather&gt; waits. Keys after the
    /// finishOnKey or beyond numDigits are dropped. With digits, Twilio posts the action URL with Digits; with none,
    /// it goes on with the verb after the Gather, unless actionOnEmptyResult="true".
    /// </summary>
    private protected async Task<PartyStop> KeysAsync(string? keys, CancellationToken ct)
    {
        var gather = WaitingOn is { Name.LocalName: "Gather" } waiting
            ? waiting
            : throw new CallFlowException($"{Side} is not at a <Gather>.");
        if (keys is not null && !KeyPattern().IsMatch(keys))
        {
            throw new ArgumentException("Keys are 0-9, * and #.", nameof(keys));
        }

        if (keys is not null && !(Attribute(gather, "input") ?? "dtmf").Contains("dtmf", StringComparison.Ordinal))
        {
            throw new CallFlowException($"{Side}: this <Gather> takes speech only, not keys.");
        }

        WaitingOn = null;
        var digits = keys is null ? string.Empty : Collect(keys, gather);
        if (digits.Length == 0)
        {
            Clock.Advance(IntegerOf(gather, "timeout", 5));
            if (Attribute(gather, "actionOnEmptyResult") != "true")
            {
                return await RunAsync(ct);
            }
        }

        var action = Attribute(gather, "action") is { } url ? Resolve(url) : DocumentUrl;
        return await FetchAndRunAsync(action, MethodOf(gather), "in-progress", [new("Digits", digits)], ct);
    }

    /// <summary>
    /// The person speaks for <paramref name="seconds"/> at a &lt;Record&gt;, then presses <paramref name="key"/> or, when
    /// it is null, hangs up. Twilio posts the action URL (RecordingUrl, RecordingSid, RecordingDuration, Digits: the key
    /// or "hangup"), then recordingStatusCallback when the file is ready. An empty recording (0 s) is not posted: the
    /// document goes on with the next verb.
    /// </summary>
    private protected async Task<PartyStop> RecordingAsync(int seconds, string? key, CancellationToken ct)
    {
        var record = WaitingOn is { Name.LocalName: "Record" } waiting
            ? waiting
            : throw new CallFlowException($"{Side} is not at a <Record>.");
        ArgumentOutOfRangeException.ThrowIfNegative(seconds);
        WaitingOn = null;
        if (seconds == 0)
        {
            Clock.Advance(IntegerOf(record, "timeout", 5));
            return key is null ? PartyStop.PersonHungUp : await RunAsync(ct);
        }

        Clock.Advance(seconds);
        var recordingSid = TwilioSids.New("RE");
        var recording = new List<KeyValuePair<string, string>>
        {
            new("RecordingUrl", $"https://api.twilio.com/2010-04-01/Accounts/{Options.AccountSid}/Recordings/{recordingSid}"),
            new("RecordingSid", recordingSid),
            new("RecordingDuration", seconds.ToString(CultureInfo.InvariantCulture)),
        };
        var action = Attribute(record, "action") is { } url ? Resolve(url) : DocumentUrl;
        var hungUp = key is null;
        var answer = await Webhooks.FetchTwimlAsync(
            Side, action, MethodOf(record), [.. CallParameters(hungUp ? "completed" : "in-progress"), .. recording, new("Digits", key ?? "hangup")], ct);
        await RecordingStatusAsync(record, recording, ct);
        if (hungUp)
        {
            // The caller is gone: the answer was checked but is not played.
            return PartyStop.PersonHungUp;
        }

        DocumentUrl = action;
        _verbs = [.. answer.Elements()];
        _next = 0;
        return await RunAsync(ct);
    }

    private async Task RecordingStatusAsync(XElement record, List<KeyValuePair<string, string>> recording, CancellationToken ct)
    {
        var events = Attribute(record, "recordingStatusCallbackEvent") ?? "completed";
        if (Attribute(record, "recordingStatusCallback") is not { } callback || !events.Contains("completed", StringComparison.Ordinal))
        {
            return;
        }

        // Twilio's recording status callback carries the recording's parameters, not the call's.
        await Webhooks.NotifyAsync(Side, Resolve(callback), MethodOf(record, "recordingStatusCallbackMethod"),
        [
            new("AccountSid", Options.AccountSid),
            new("CallSid", CallSid),
            .. recording,
            new("RecordingStatus", "completed"),
            new("RecordingChannels", "1"),
            new("RecordingSource", "RecordVerb"),
        ], ct);
    }

    private protected void Say(XElement say)
    {
        var text = Whitespace().Replace(say.Value, " ").Trim();
        Repeat(say, $"say[{Attribute(say, "language") ?? "en-US"}/{Attribute(say, "voice") ?? "man"}]: {text}");
    }

    /// <param name="documentUrl">The URL of the document holding the Play (default: the current document).</param>
    private protected async Task PlayAsync(XElement play, CancellationToken ct, Uri? documentUrl = null)
    {
        if (Attribute(play, "digits") is { } digits)
        {
            Hear($"play digits: {digits}");
            return;
        }

        var url = new Uri(documentUrl ?? DocumentUrl, play.Value.Trim());
        if (Options.FetchPlayedAudio && string.Equals(url.GetLeftPart(UriPartial.Authority), Options.PublicBase.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
        {
            await Webhooks.FetchAudioAsync(Side, url, ct);
        }

        Repeat(play, $"play: {url.AbsoluteUri}");
    }

    private protected void Pause(XElement pause)
    {
        var length = IntegerOf(pause, "length", 1);
        Clock.Advance(length);
        Hear($"pause {length.ToString(CultureInfo.InvariantCulture)}s");
    }

    /// <summary>The Say, Play and Pause inside a Gather play in full before the keys (no barge-in is simulated).</summary>
    private async Task PromptAsync(XElement gather, CancellationToken ct)
    {
        foreach (var prompt in gather.Elements())
        {
            switch (prompt.Name.LocalName)
            {
                case "Say":
                    Say(prompt);
                    break;
                case "Play":
                    await PlayAsync(prompt, ct);
                    break;
                case "Pause":
                    Pause(prompt);
                    break;
            }
        }
    }

    /// <summary>loop="n" plays n times; loop="0" repeats until input or hang-up, written once with "(repeating)".</summary>
    private void Repeat(XElement verb, string line)
    {
        var loop = IntegerOf(verb, "loop", 1);
        if (loop == 0)
        {
            Hear(line + " (repeating)");
        }

        for (var i = 0; i < loop; i++)
        {
            Hear(line);
        }
    }

    private static string Collect(string keys, XElement gather)
    {
        var finishOnKey = Attribute(gather, "finishOnKey") ?? "#";
        int? numDigits = Attribute(gather, "numDigits") is null ? null : IntegerOf(gather, "numDigits", 1);
        var digits = new System.Text.StringBuilder();
        foreach (var key in keys)
        {
            if (finishOnKey.Length == 1 && key == finishOnKey[0])
            {
                break;
            }

            digits.Append(key);
            if (digits.Length == numDigits)
            {
                break;
            }
        }

        return digits.ToString();
    }

    [GeneratedRegex(@"^[0-9*#]+$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}

internal static class TwilioSids
{
    /// <summary>A new SID as Twilio writes them: two letters then 32 hex digits.</summary>
    public static string New(string prefix) => prefix + Guid.NewGuid().ToString("N");
}

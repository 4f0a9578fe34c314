using Hotline.Calls;
using Twilio.TwiML;
using Twilio.TwiML.Voice;

namespace Hotline.Functions.Voice;

/// <summary>
/// The TwiML the voice line answers with, built with the Twilio SDK. Every step that waits for a key ends with a
/// Redirect back to the same step, so a caller who presses nothing hears the next thing rather than silence.
/// Each step's address carries the conversation id (<c>c</c>); Twilio signs the whole address, query included.
/// </summary>
public sealed class CallAnswers(VoiceCatalogue catalogue, CallSettings settings)
{
    public const string Path = "/api/twilio/voice";

    /// <summary>The longest pause between waiting messages: the wait step is also when the next round of ringing starts.</summary>
    public const int MaxWaitPauseSeconds = 5;

    // A caller who hung up just as the counsellor accepted leaves an empty queue: the counsellor is not kept waiting on it.
    private const int ConnectTimeoutSeconds = 10;

    // Every prompt and key press is one key; on the menu, * and # may be options, so no key ends the input.
    private const string NoFinishKey = "";

    public string Menu(Uri publicBase, string conversationId, int attempt)
    {
        var response = new VoiceResponse();
        var action = Step(publicBase, "menu", conversationId, ("attempt", attempt.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        response.Append(catalogue.MenuGather(action, publicBase));
        response.Redirect(action, global::Twilio.Http.HttpMethod.Post);
        return response.ToString();
    }

    /// <summary>The safety line, listening for 9 (in danger now) while it plays and a moment after.</summary>
    public string Safety(Uri publicBase, string conversationId, string language)
    {
        return AskForKey(publicBase, Step(publicBase, "safety", conversationId), 3, language, VoicePrompt.Safety);
    }

    /// <summary>
    /// The caller waits in a queue of their own while counsellors' phones ring: Twilio fetches the wait step over and
    /// over (the waiting message), and the left step once the caller is out of the queue, taken or not.
    /// </summary>
    public static string Enqueue(Uri publicBase, string conversationId, string callSid)
    {
        var response = new VoiceResponse();
        response.Enqueue(
            QueueName(callSid),
            action: Step(publicBase, "left", conversationId),
            method: global::Twilio.Http.HttpMethod.Post,
            waitUrl: Step(publicBase, "wait", conversationId),
            waitUrlMethod: global::Twilio.Http.HttpMethod.Post);
        return response.ToString();
    }

    /// <summary>The waiting message in the caller's language, then a pause; Twilio asks for the next when it has played.</summary>
    public string Wait(Uri publicBase, string language, int pauseSeconds)
    {
        var response = new VoiceResponse();
        response.Append(catalogue.Prompt(VoicePrompt.Waiting, language, publicBase));
        response.Pause(length: Math.Clamp(pauseSeconds, 1, MaxWaitPauseSeconds));
        return response.ToString();
    }

    /// <summary>Takes the caller out of their queue (nobody left to ring): the left step then makes the offer.</summary>
    public static string Leave()
    {
        var response = new VoiceResponse();
        response.Leave();
        return response.ToString();
    }

    /// <summary>What a counsellor hears on answering: the caller's language, and press 1 to take the call.</summary>
    public string Whisper(Uri publicBase, string conversationId, string callSid, string counsellorId, string language, bool emergency)
    {
        var response = new VoiceResponse();
        var gather = KeyPress(Step(publicBase, "accept", conversationId, ("p", callSid), ("k", counsellorId)), (int)settings.AcceptTime.TotalSeconds);
        gather.Append(catalogue.Whisper(language, emergency));
        response.Append(gather);
        response.Append(catalogue.WhisperNotAccepted());
        response.Hangup();
        return response.ToString();
    }

    public string Taken()
    {
        var response = new VoiceResponse();
        response.Append(catalogue.CallTaken());
        response.Hangup();
        return response.ToString();
    }

    public string NotAccepted()
    {
        var response = new VoiceResponse();
        response.Append(catalogue.WhisperNotAccepted());
        response.Hangup();
        return response.ToString();
    }

    /// <summary>Connects the counsellor who accepted with the caller waiting in the call's queue.</summary>
    public static string Connect(string callSid)
    {
        var response = new VoiceResponse();
        var dial = new Dial(timeout: ConnectTimeoutSeconds);
        dial.Queue(QueueName(callSid));
        response.Append(dial);
        response.Hangup();
        return response.ToString();
    }

    /// <summary>One queue per call, so the counsellor who accepts is connected with exactly this caller.</summary>
    private static string QueueName(string callSid) => "call-" + callSid;

    /// <summary>Nobody answered: leave a voicemail (1), ask for a callback (2), or call again.</summary>
    public string Offer(Uri publicBase, string conversationId, string language, int attempt)
    {
        var action = Step(publicBase, "offer", conversationId, ("attempt", attempt.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return AskForKey(publicBase, action, 6, language, VoicePrompt.NobodyAnswered);
    }

    /// <summary>She asked for a callback: when is it safe? One key for each of the keypad's safe times, said in her language.</summary>
    public string CallbackTimes(Uri publicBase, string conversationId, string language, int attempt)
    {
        var action = Step(publicBase, "callback-time", conversationId, ("attempt", attempt.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return AskForKey(publicBase, action, 6, language, [.. VoiceCatalogue.CallbackTimes.Select(t => t.Prompt)]);
    }

    /// <summary>May a message be left when she does not answer? Nothing pressed is no (the step is posted without a key).</summary>
    public string CallbackMessage(Uri publicBase, string conversationId, string language)
    {
        return AskForKey(publicBase, Step(publicBase, "callback-message", conversationId), 6, language, VoicePrompt.CallbackMessage);
    }

    /// <summary>
    /// Her number cannot be seen (withheld) or called: no callback can be made, so the voicemail is offered instead,
    /// by the offer's own step on its last attempt (nothing pressed then says goodbye).
    /// </summary>
    public string CallbackWithoutNumber(Uri publicBase, string conversationId, string language)
    {
        return AskForKey(publicBase, Step(publicBase, "offer", conversationId, ("attempt", "2")), 6, language, VoicePrompt.CallbackNoNumber);
    }

    public string Voicemail(Uri publicBase, string conversationId, string language)
    {
        var response = new VoiceResponse();
        response.Append(catalogue.Prompt(VoicePrompt.VoicemailInstructions, language, publicBase));
        response.Record(
            action: Step(publicBase, "recorded", conversationId),
            method: global::Twilio.Http.HttpMethod.Post,
            timeout: 10,
            finishOnKey: "0123456789*#",
            maxLength: (int)settings.VoicemailMaxLength.TotalSeconds,
            playBeep: true,
            trim: Record.TrimEnum.TrimSilence,
            recordingStatusCallback: Step(publicBase, "recording", conversationId),
            recordingStatusCallbackMethod: global::Twilio.Http.HttpMethod.Post);
        // Reached only when nothing was recorded (Twilio then goes on with the next verb).
        response.Append(catalogue.Prompt(VoicePrompt.Goodbye, language, publicBase));
        response.Hangup();
        return response.ToString();
    }

    /// <summary>Says <paramref name="prompts"/> in order, then hangs up.</summary>
    public string Closing(Uri publicBase, string language, params VoicePrompt[] prompts)
    {
        var response = new VoiceResponse();
        foreach (var prompt in prompts)
        {
            response.Append(catalogue.Prompt(prompt, language, publicBase));
        }

        response.Hangup();
        return response.ToString();
    }

    /// <summary>A blocked caller's call is refused as busy: nothing to invite more calls, no charge to them.</summary>
    public static string Refuse()
    {
        var response = new VoiceResponse();
        response.Reject(Reject.ReasonEnum.Busy);
        return response.ToString();
    }

    public static string HangUp()
    {
        var response = new VoiceResponse();
        response.Hangup();
        return response.ToString();
    }

    public static string Empty() => new VoiceResponse().ToString();

    /// <summary>Listens for one key while the prompts play and a moment after; with none, the step is posted without a key.</summary>
    private string AskForKey(Uri publicBase, Uri action, int timeoutSeconds, string language, params VoicePrompt[] prompts)
    {
        var response = new VoiceResponse();
        var gather = KeyPress(action, timeoutSeconds);
        foreach (var prompt in prompts)
        {
            gather.Append(catalogue.Prompt(prompt, language, publicBase));
        }

        response.Append(gather);
        response.Redirect(action, global::Twilio.Http.HttpMethod.Post);
        return response.ToString();
    }

    private static Gather KeyPress(Uri action, int timeoutSeconds) => new(
        input: [Gather.InputEnum.Dtmf],
        action: action,
        method: global::Twilio.Http.HttpMethod.Post,
        timeout: timeoutSeconds,
        finishOnKey: NoFinishKey,
        numDigits: 1);

    public static Uri Step(Uri publicBase, string step, string conversationId, params (string Name, string Value)[] query)
    {
        var url = publicBase.ToString().TrimEnd('/') + Path + "/" + step + "?c=" + Uri.EscapeDataString(conversationId);
        foreach (var (name, value) in query)
        {
            url += "&" + name + "=" + Uri.EscapeDataString(value);
        }

        return new Uri(url);
    }
}

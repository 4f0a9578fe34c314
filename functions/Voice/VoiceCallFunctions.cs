using System.Text.RegularExpressions;
using Hotline.Callbacks;
using Hotline.Calls;
using Hotline.Conversations;
using Hotline.Functions.Hosting;
using Hotline.Functions.Sms;
using Hotline.Roster;
using Hotline.Secrets;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Voice;

/// <summary>
/// Twilio's voice webhooks, one function per step of a call: a new call, the language menu, the safety line, the
/// wait in the call's queue (with the rounds of ringing) and leaving it, a counsellor's whisper and acceptance, the
/// offer when nobody answered, the voicemail or the callback's safe time, and the call's status. Every request's Twilio signature is checked before anything else (no token: the signature
/// is the credential); every answer is TwiML that leads the caller somewhere, never to silence.
/// </summary>
[AllowAnonymous]
public sealed partial class VoiceCallFunctions(
    ISecretStore secrets,
    SmsSettings hotline,
    VoiceCatalogue catalogue,
    CallAnswers answers,
    CallDesk desk,
    CallSettings settings,
    CounsellorRinger ringer,
    CallbackIntake callbacks,
    KeypadPresets presets,
    CallbackSettings callbackSettings,
    TimeProvider time)
{
    private const int MaxBytes = TwilioWebhookRequest.MaxRequestBytes;

    [Function("VoiceIncoming"), RequestBodyLimit(MaxBytes)]
    public async Task<IResult> Incoming([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice")] HttpRequest request, CancellationToken ct)
    {
        var (form, refusal) = await ReadAsync(request, ct);
        if (form is null)
        {
            return refusal!;
        }

        if (CallSid(form) is not { } sid || form["From"] is not { Length: > 0 } from || form["To"] is not { Length: > 0 } to)
        {
            return TwilioWebhookRequest.Problem(StatusCodes.Status400BadRequest, "'CallSid', 'From' and 'To' are required.");
        }

        var start = await desk.StartAsync(new IncomingCall(sid, from, to, time.GetUtcNow()), ct);
        if (start.Blocked)
        {
            return TwiML(CallAnswers.Refuse());
        }

        return start.NeedsLanguage
            ? TwiML(answers.Menu(Base(request), start.ConversationId!, attempt: 1))
            : TwiML(answers.Safety(Base(request), start.ConversationId!, start.Language!));
    }

    /// <summary>The caller's key in the language menu; no key (or an unknown one) plays it once more, then the default.</summary>
    [Function("VoiceMenu"), RequestBodyLimit(MaxBytes)]
    public Task<IResult> Menu([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/menu")] HttpRequest request, CancellationToken ct) =>
        OnCallAsync(request, ct, async (form, conversation) =>
        {
            var chosen = catalogue.LanguageForKey(form["Digits"]);
            if (chosen is null && Attempt(request) < 2)
            {
                return answers.Menu(Base(request), conversation.Id, attempt: 2);
            }

            var language = chosen ?? catalogue.DefaultLanguage;
            await desk.ChooseLanguageAsync(conversation.Id, conversation.CurrentCall!.CallSid, language, ct);
            return answers.Safety(Base(request), conversation.Id, language);
        });

    /// <summary>After the safety line: 9 raises an emergency (nothing changes for the caller); then the caller waits in the call's queue.</summary>
    [Function("VoiceSafety"), RequestBodyLimit(MaxBytes)]
    public Task<IResult> Safety([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/safety")] HttpRequest request, CancellationToken ct) =>
        OnCallAsync(request, ct, async (form, conversation) =>
        {
            if (form["Digits"] == VoiceCatalogue.DangerKey)
            {
                await desk.RaiseEmergencyAsync(conversation.Id, conversation.CurrentCall!.CallSid, ct);
            }

            return CallAnswers.Enqueue(Base(request), conversation.Id, conversation.CurrentCall!.CallSid);
        });

    /// <summary>
    /// The caller waits (Enqueue's waitUrl, fetched again each time its answer has played): the waiting message, and,
    /// when a round of ringing is due (at once, then every ring time of the wait as Twilio counts it), the next round;
    /// with nobody left to ring, the caller leaves the queue for the offer.
    /// </summary>
    [Function("VoiceWait"), RequestBodyLimit(MaxBytes)]
    public Task<IResult> Wait([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/wait")] HttpRequest request, CancellationToken ct) =>
        OnCallAsync(request, ct, async (form, conversation) =>
        {
            var call = conversation.CurrentCall!;
            var waited = int.TryParse(form["QueueTime"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 0;
            var due = call.Phase == CallPhase.Safety
                || (call is { Phase: CallPhase.Ringing, AnsweredBy: null } && waited >= call.RoundEndsAtQueueSeconds);
            if (call.Phase is CallPhase.Offer or CallPhase.Voicemail || (due && !await RingNextAsync(request, conversation, waited, ct)))
            {
                await ringer.StopAsync(call.Rings, ct);
                return CallAnswers.Leave();
            }

            var untilNextRound = due ? (int)settings.RingTime.TotalSeconds : call.RoundEndsAtQueueSeconds - waited;
            return answers.Wait(Base(request), conversation.Language, untilNextRound);
        });

    /// <summary>
    /// The caller left the queue (Enqueue's action): after talking with a counsellor, goodbye; with nobody left to
    /// ring, or if the queue failed, the offer; after hanging up, nothing. The caller's queue is then removed.
    /// </summary>
    [Function("VoiceLeft"), RequestBodyLimit(MaxBytes)]
    public Task<IResult> Left([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/left")] HttpRequest request, CancellationToken ct) =>
        OnCallAsync(request, ct, async (form, conversation) =>
        {
            if (form["QueueSid"] is { } queueSid && QueueSidPattern().IsMatch(queueSid))
            {
                await ringer.RemoveQueueAsync(queueSid, ct);
            }

            var call = conversation.CurrentCall!;
            switch (form["QueueResult"])
            {
                case "bridged":
                    await desk.BridgeEndedAsync(conversation.Id, call.CallSid, ct);
                    return answers.Closing(Base(request), conversation.Language, VoicePrompt.Goodbye);
                case "hangup":
                    await ringer.StopAsync(call.Rings, ct);
                    return CallAnswers.Empty();
                case "leave" when call.Phase == CallPhase.Offer:
                    return answers.Offer(Base(request), conversation.Id, conversation.Language, attempt: 1);
                default:
                    // The queue failed (or something else took the caller out of it): never silence, the offer, unless
                    // a counsellor had taken the call.
                    await ringer.StopAsync(call.Rings.Where(r => r.CounsellorId != call.AnsweredBy), ct);
                    return await desk.OfferNowAsync(conversation.Id, call.CallSid, ct) is not null || call.Phase == CallPhase.Offer
                        ? answers.Offer(Base(request), conversation.Id, conversation.Language, attempt: 1)
                        : answers.Closing(Base(request), conversation.Language, VoicePrompt.Goodbye);
            }
        }, liveOnly: false);

    /// <summary>A counsellor answered their phone: the whisper, unless the call was taken meanwhile.</summary>
    [Function("VoiceWhisper"), RequestBodyLimit(MaxBytes)]
    public Task<IResult> Whisper([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/whisper")] HttpRequest request, CancellationToken ct) =>
        OnCounsellorLegAsync(request, ct, (form, conversation, counsellorId) =>
            Task.FromResult(conversation.CurrentCall is { Phase: CallPhase.Ringing, AnsweredBy: null } call
                ? answers.Whisper(Base(request), conversation.Id, call.CallSid, counsellorId, conversation.Language, conversation.EmergencyAt is not null)
                : answers.Taken()));

    /// <summary>A counsellor's key after the whisper: 1 takes the call if nobody took it first; the other phones stop ringing.</summary>
    [Function("VoiceAccept"), RequestBodyLimit(MaxBytes)]
    public Task<IResult> Accept([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/accept")] HttpRequest request, CancellationToken ct) =>
        OnCounsellorLegAsync(request, ct, async (form, conversation, counsellorId) =>
        {
            if (form["Digits"] != VoiceCatalogue.AcceptKey)
            {
                return answers.NotAccepted();
            }

            var call = conversation.CurrentCall!;
            if (await desk.AcceptAsync(conversation.Id, call.CallSid, counsellorId, ct) != AcceptResult.Accepted)
            {
                return answers.Taken();
            }

            await ringer.StopAsync(call.Rings.Where(r => r.CounsellorId != counsellorId), ct);
            return CallAnswers.Connect(call.CallSid);
        });

    /// <summary>The caller's choice when nobody answered: 1 voicemail, 2 callback; nothing: once more, then goodbye.</summary>
    [Function("VoiceOffer"), RequestBodyLimit(MaxBytes)]
    public Task<IResult> Offer([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/offer")] HttpRequest request, CancellationToken ct) =>
        OnCallAsync(request, ct, async (form, conversation) =>
        {
            var callSid = conversation.CurrentCall!.CallSid;
            switch (form["Digits"])
            {
                case VoiceCatalogue.LeaveMessageKey:
                    await desk.StartVoicemailAsync(conversation.Id, callSid, ct);
                    return answers.Voicemail(Base(request), conversation.Id, conversation.Language);
                case VoiceCatalogue.CallbackKey:
                    // Her own number is the one to call back: without one that can be called, the voicemail instead.
                    return CallDesk.CallbackNumberOf(form["From"], form["To"]) is null
                        ? answers.CallbackWithoutNumber(Base(request), conversation.Id, conversation.Language)
                        : answers.CallbackTimes(Base(request), conversation.Id, conversation.Language, attempt: 1);
                default:
                    return Attempt(request) < 2
                        ? answers.Offer(Base(request), conversation.Id, conversation.Language, attempt: 2)
                        : answers.Closing(Base(request), conversation.Language, VoicePrompt.Goodbye);
            }
        });

    /// <summary>
    /// The caller's safe time for a callback (one of <see cref="VoiceCatalogue.CallbackTimes"/>): the request is made
    /// now, with her number read again from this signed request (it is never put in an address), so it exists even
    /// if she must hang up at once; then, may a message be left? Nothing pressed: once more, then no request.
    /// </summary>
    [Function("VoiceCallbackTime"), RequestBodyLimit(MaxBytes)]
    public Task<IResult> CallbackTime([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/callback-time")] HttpRequest request, CancellationToken ct) =>
        OnCallAsync(request, ct, async (form, conversation) =>
        {
            var language = conversation.Language;
            var key = form["Digits"] is [var digit] && VoiceCatalogue.CallbackTimes.Any(t => t.Key == digit) ? digit : (char?)null;
            if (key is null)
            {
                return Attempt(request) < 2
                    ? answers.CallbackTimes(Base(request), conversation.Id, language, attempt: 2)
                    : answers.Closing(Base(request), language, VoicePrompt.NoChoice, VoicePrompt.CallbackNotArranged, VoicePrompt.Goodbye);
            }

            if (CallDesk.CallbackNumberOf(form["From"], form["To"]) is not { } number)
            {
                return answers.CallbackWithoutNumber(Base(request), conversation.Id, language);
            }

            var windows = presets.Windows(key.Value, callbacks.TimeZone, time.GetUtcNow(), callbackSettings.Expiry)?.Windows ?? [];
            var made = windows.Count == 0
                ? null
                : await desk.RequestCallbackAsync(conversation.Id, conversation.CurrentCall!.CallSid, new CallbackAsk(number, windows, MayLeaveMessage: false, CodeWord: null), ct);
            return made is null
                ? answers.Closing(Base(request), language, VoicePrompt.CallbackNotArranged, VoicePrompt.Goodbye)
                : answers.CallbackMessage(Base(request), conversation.Id, language);
        });

    /// <summary>Whether a message may be left when she does not answer (1 yes, anything else no), then the confirmation.</summary>
    [Function("VoiceCallbackMessage"), RequestBodyLimit(MaxBytes)]
    public Task<IResult> CallbackMessage([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/callback-message")] HttpRequest request, CancellationToken ct) =>
        OnCallAsync(request, ct, async (form, conversation) =>
        {
            if (form["Digits"] == VoiceCatalogue.MayLeaveMessageKey)
            {
                await desk.AllowCallbackMessageAsync(conversation.Id, conversation.CurrentCall!.CallSid, ct);
            }

            return answers.Closing(Base(request), conversation.Language, VoicePrompt.CallbackConfirmed, VoicePrompt.Goodbye);
        });

    /// <summary>The voicemail was recorded (Record's action): thank the caller.</summary>
    [Function("VoiceRecorded"), RequestBodyLimit(MaxBytes)]
    public Task<IResult> Recorded([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/recorded")] HttpRequest request, CancellationToken ct) =>
        OnCallAsync(request, ct, async (form, conversation) =>
        {
            if (!await KeepRecordingAsync(form, conversation, ct))
            {
                return answers.Closing(Base(request), conversation.Language, VoicePrompt.Goodbye);
            }

            return answers.Closing(Base(request), conversation.Language, VoicePrompt.VoicemailSaved, VoicePrompt.Goodbye);
        });

    /// <summary>The voicemail's file is ready at Twilio (Record's recordingStatusCallback).</summary>
    [Function("VoiceRecordingStatus"), RequestBodyLimit(MaxBytes)]
    public Task<IResult> Recording([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/recording")] HttpRequest request, CancellationToken ct) =>
        OnCallAsync(request, ct, async (form, conversation) =>
        {
            if (form["RecordingStatus"] is null or "completed")
            {
                await KeepRecordingAsync(form, conversation, ct);
            }

            return CallAnswers.Empty();
        }, liveOnly: false);

    /// <summary>The call's status changed (the number's status callback): a finished call is recorded as such.</summary>
    [Function("VoiceStatus"), RequestBodyLimit(MaxBytes)]
    public async Task<IResult> Status([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/status")] HttpRequest request, CancellationToken ct)
    {
        var (form, refusal) = await ReadAsync(request, ct);
        if (form is null)
        {
            return refusal!;
        }

        if (CallSid(form) is not { } sid || form["From"] is not { Length: > 0 } from)
        {
            return TwilioWebhookRequest.Problem(StatusCodes.Status400BadRequest, "'CallSid' and 'From' are required.");
        }

        if (form["CallStatus"] is "completed" or "busy" or "failed" or "no-answer" or "canceled"
            && await desk.CallEndedAsync(sid, from, ct) is { } ended)
        {
            await ringer.StopAsync(ended.Rings.Where(r => r.CounsellorId != ended.AnsweredBy), ct);
        }

        return TwiML(CallAnswers.Empty());
    }

    private async Task<bool> KeepRecordingAsync(TwilioWebhookForm form, Conversation conversation, CancellationToken ct)
    {
        if (form["RecordingSid"] is not { } recordingSid || !RecordingSidPattern().IsMatch(recordingSid)
            || !int.TryParse(form["RecordingDuration"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            || seconds == 0)
        {
            return false;
        }

        await desk.VoicemailRecordedAsync(conversation.Id, conversation.CurrentCall!.CallSid, recordingSid, seconds, ct);
        return true;
    }

    /// <summary>
    /// Rings the next round of counsellors that has anyone who can be rung; false when nobody is left (the call is
    /// then marked as offered a message).
    /// </summary>
    private async Task<bool> RingNextAsync(HttpRequest request, Conversation conversation, int waited, CancellationToken ct)
    {
        var callSid = conversation.CurrentCall!.CallSid;
        var read = conversation; // the first round needs no second read of the conversation
        var roundEnds = waited + (int)settings.RingTime.TotalSeconds;
        while (await desk.NextRoundAsync(conversation.Id, callSid, roundEnds, read, ct) is { } round)
        {
            read = null;
            var rings = await ringer.RingAsync(Base(request), conversation, round.Counsellors, ct);
            if (rings.Count > 0)
            {
                if (!await desk.PhonesRungAsync(conversation.Id, callSid, rings, ct))
                {
                    await ringer.StopAsync(rings, ct); // taken or over while the phones were being rung
                }

                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Reads a step of the caller's own call: the signed form and the conversation whose current call it is. A step
    /// of a call that is over, or of another call, is answered with a hang-up (there is nothing left to say).
    /// </summary>
    private async Task<IResult> OnCallAsync(
        HttpRequest request, CancellationToken ct, Func<TwilioWebhookForm, Conversation, Task<string>> step, bool liveOnly = true)
    {
        var (form, refusal) = await ReadAsync(request, ct);
        if (form is null)
        {
            return refusal!;
        }

        if (CallSid(form) is not { } sid || ConversationOf(request) is not { } id)
        {
            return TwilioWebhookRequest.Problem(StatusCodes.Status400BadRequest, "'CallSid' and the conversation ('c') are required.");
        }

        if (await desk.FindAsync(id, sid, ct) is not { CurrentCall: { } call } conversation || (liveOnly && !call.IsLive))
        {
            return TwiML(CallAnswers.HangUp());
        }

        return TwiML(await step(form, conversation));
    }

    /// <summary>Reads a step of a counsellor's leg: the caller's call is the leg's parent.</summary>
    private async Task<IResult> OnCounsellorLegAsync(
        HttpRequest request, CancellationToken ct, Func<TwilioWebhookForm, Conversation, string, Task<string>> step)
    {
        var (form, refusal) = await ReadAsync(request, ct);
        if (form is null)
        {
            return refusal!;
        }

        // The caller's call ('p') is in the address Twilio was given, so the signature covers it.
        var parent = request.Query["p"].ToString() is { } p && CallSidPattern().IsMatch(p) ? p : null;
        var counsellorId = request.Query["k"].ToString();
        if (parent is null || ConversationOf(request) is not { } id || counsellorId.Length == 0)
        {
            return TwilioWebhookRequest.Problem(StatusCodes.Status400BadRequest, "The caller's call ('p'), the conversation ('c') and the counsellor ('k') are required.");
        }

        return await desk.FindAsync(id, parent, ct) is { CurrentCall.IsLive: true } conversation
            ? TwiML(await step(form, conversation, counsellorId))
            : TwiML(answers.Taken());
    }

    private Task<(TwilioWebhookForm? Form, IResult? Refusal)> ReadAsync(HttpRequest request, CancellationToken ct) =>
        TwilioWebhookRequest.ReadAsync(request, secrets, hotline.PublicBaseUrl, ct);

    private Uri Base(HttpRequest request) => hotline.PublicBaseUrl ?? new Uri($"{request.Scheme}://{request.Host}");

    private static string? CallSid(TwilioWebhookForm form) => form["CallSid"] is { } sid && CallSidPattern().IsMatch(sid) ? sid : null;

    private static string? ConversationOf(HttpRequest request) =>
        request.Query["c"].ToString() is { } id && ConversationIds.IsValid(id) ? id : null;

    private static int Attempt(HttpRequest request) =>
        int.TryParse(request.Query["attempt"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 1;

    private static IResult TwiML(string twiml) => Results.Text(twiml, Hotline.Twilio.TwiML.ContentType);

    [GeneratedRegex("^CA[0-9a-fA-F]{32}$")]
    private static partial Regex CallSidPattern();

    [GeneratedRegex("^QU[0-9a-fA-F]{32}$")]
    private static partial Regex QueueSidPattern();

    [GeneratedRegex("^RE[0-9a-fA-F]{32}$")]
    private static partial Regex RecordingSidPattern();
}

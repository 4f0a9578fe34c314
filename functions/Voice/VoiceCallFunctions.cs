using System.Text.RegularExpressions;
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
/// end of a round of ringing, a counsellor's whisper and acceptance, the offer when nobody answered, the voicemail,
/// and the call's status. Every request's Twilio signature is checked before anything else (no token: the signature
/// is the credential); every answer is TwiML that leads the caller somewhere, never to silence.
/// </summary>
[AllowAnonymous]
public sealed partial class VoiceCallFunctions(
    ISecretStore secrets,
    SmsSettings hotline,
    VoiceCatalogue catalogue,
    CallAnswers answers,
    CallDesk desk,
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

    /// <summary>After the safety line: 9 raises an emergency (nothing changes for the caller); then the ringing.</summary>
    [Function("VoiceSafety"), RequestBodyLimit(MaxBytes)]
    public Task<IResult> Safety([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/safety")] HttpRequest request, CancellationToken ct) =>
        OnCallAsync(request, ct, async (form, conversation) =>
        {
            if (form["Digits"] == VoiceCatalogue.DangerKey)
            {
                await desk.RaiseEmergencyAsync(conversation.Id, conversation.CurrentCall!.CallSid, ct);
            }

            return await RingNextAsync(request, conversation, attempt: 1, ct);
        });

    /// <summary>A round of ringing ended: over if a counsellor talked with the caller, else the next round or the offer.</summary>
    [Function("VoiceDialed"), RequestBodyLimit(MaxBytes)]
    public Task<IResult> Dialed([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/dialed")] HttpRequest request, CancellationToken ct) =>
        OnCallAsync(request, ct, async (form, conversation) =>
        {
            var answered = await desk.RingingEndedAsync(conversation.Id, conversation.CurrentCall!.CallSid, bridged: form["DialCallStatus"] == "completed", ct);
            // A caller who hung up while phones rang is not rung for again: Twilio reports the call itself completed.
            return answered || form["CallStatus"] == "completed"
                ? CallAnswers.HangUp()
                : await RingNextAsync(request, conversation, attempt: 1, ct);
        });

    /// <summary>A counsellor answered their phone: the whisper, unless the call was taken meanwhile.</summary>
    [Function("VoiceWhisper"), RequestBodyLimit(MaxBytes)]
    public Task<IResult> Whisper([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/whisper")] HttpRequest request, CancellationToken ct) =>
        OnCounsellorLegAsync(request, ct, (form, conversation, counsellorId) =>
            Task.FromResult(conversation.CurrentCall is { Phase: CallPhase.Ringing, AnsweredBy: null }
                ? answers.Whisper(Base(request), conversation.Id, counsellorId, conversation.Language, conversation.EmergencyAt is not null)
                : answers.Taken()));

    /// <summary>A counsellor's key after the whisper: 1 takes the call if nobody took it first.</summary>
    [Function("VoiceAccept"), RequestBodyLimit(MaxBytes)]
    public Task<IResult> Accept([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/accept")] HttpRequest request, CancellationToken ct) =>
        OnCounsellorLegAsync(request, ct, async (form, conversation, counsellorId) =>
        {
            if (form["Digits"] != VoiceCatalogue.AcceptKey)
            {
                return answers.NotAccepted();
            }

            return await desk.AcceptAsync(conversation.Id, conversation.CurrentCall!.CallSid, counsellorId, ct) == AcceptResult.Accepted
                ? CallAnswers.Connect()
                : answers.Taken();
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
                    await desk.RequestCallbackAsync(conversation.Id, callSid, ct);
                    return answers.Closing(Base(request), conversation.Language, VoicePrompt.CallbackNoted, VoicePrompt.Goodbye);
                default:
                    return Attempt(request) < 2
                        ? answers.Offer(Base(request), conversation.Id, conversation.Language, attempt: 2)
                        : answers.Closing(Base(request), conversation.Language, VoicePrompt.Goodbye);
            }
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

        if (form["CallStatus"] is "completed" or "busy" or "failed" or "no-answer" or "canceled")
        {
            await desk.CallEndedAsync(sid, from, ct);
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

    /// <summary>Rings the next round of counsellors, or, with nobody left, makes the offer.</summary>
    private async Task<string> RingNextAsync(HttpRequest request, Conversation conversation, int attempt, CancellationToken ct)
    {
        var callSid = conversation.CurrentCall!.CallSid;
        var read = conversation; // the first round needs no second read of the conversation
        while (await desk.NextRoundAsync(conversation.Id, callSid, read, ct) is { } round)
        {
            read = null;
            var numbers = round.Counsellors.Where(c => c.Phone is not null).Select(c => (c.Id, c.Phone!.Reveal())).ToList();

            if (numbers.Count > 0)
            {
                return answers.Ring(Base(request), conversation.Id, conversation.Language, conversation.HotlineNumber ?? string.Empty, numbers);
            }
        }

        return answers.Offer(Base(request), conversation.Id, conversation.Language, attempt);
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

        var parent = form["ParentCallSid"] is { } p && CallSidPattern().IsMatch(p) ? p : null;
        var counsellorId = request.Query["k"].ToString();
        if (parent is null || ConversationOf(request) is not { } id || counsellorId.Length == 0)
        {
            return TwilioWebhookRequest.Problem(StatusCodes.Status400BadRequest, "'ParentCallSid', the conversation ('c') and the counsellor ('k') are required.");
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

    [GeneratedRegex("^RE[0-9a-fA-F]{32}$")]
    private static partial Regex RecordingSidPattern();
}

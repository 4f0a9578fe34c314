using Hotline.Callbacks;
using Hotline.Conversations;
using Hotline.Functions.Configuration;
using Hotline.Functions.Hosting;
using Hotline.Functions.Sms;
using Hotline.Functions.Voice;
using Hotline.Privacy;
using Hotline.Secrets;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;
using Twilio.TwiML;
using Twilio.TwiML.Voice;

namespace Hotline.Functions.Callbacks;

/// <summary>
/// The hotline number a callback shows, to the counsellor's phone and to the caller's: the number the caller used
/// when it is a phone number (she knows it, and a call from it is no surprise), else <c>Callbacks__FromNumber</c>
/// (a caller from the web chat never saw one of the hotline's numbers).
/// </summary>
public sealed class CallbackLines(string? fromNumber)
{
    public const string SettingName = "Callbacks__FromNumber";

    public string? FromNumber { get; } = fromNumber;

    public string? LineFor(Hotline.Conversations.Conversation? conversation) =>
        conversation?.HotlineNumber is { Length: > 1 } used && used[0] == '+' && used.Skip(1).All(char.IsAsciiDigit) ? used : FromNumber;

    internal static CallbackLines Read(IConfiguration configuration)
    {
        if (new SettingReader(configuration).String("Callbacks:FromNumber") is not { } value)
        {
            return new CallbackLines(null);
        }

        var e164 = PhoneNumberNormalizer.Normalize(value);
        return e164.StartsWith('+') && e164.Length > 7
            ? new CallbackLines(e164)
            : throw new StartupSettingException($"Setting '{SettingName}' is malformed: expected one of the hotline's numbers in international form.");
    }
}

public static class CallbackCallServices
{
    /// <summary>Calls made back through the hotline: the number they show.</summary>
    public static IServiceCollection AddCallbackCalls(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSingleton(CallbackLines.Read(configuration));
}

/// <summary>
/// Twilio's webhooks of a callback: the counsellor answered their phone (the app rang it for "call now"), and the
/// dial to the caller ended. The caller's number is read from the request's secrets here and only here, and goes to
/// Twilio in the answer's <c>&lt;Dial&gt;</c>; nothing logs it. The counsellor hears English (the staff voice).
/// </summary>
[AllowAnonymous]
public sealed class CallbackCallFunctions(
    ISecretStore secrets,
    SmsSettings hotline,
    ICallbackStore store,
    ICallbackSecrets callbackSecrets,
    IConversationStore conversations,
    CallbackLines lines,
    VoiceCatalogue catalogue)
{
    public const string Path = "/api/twilio/voice/callback";

    /// <summary>How long the caller's phone rings before the dial gives up.</summary>
    public const int DialTimeoutSeconds = 30;

    private const int MaxBytes = TwilioWebhookRequest.MaxRequestBytes;

    /// <summary>Where Twilio asks what to do once the counsellor answered: the request and the counsellor, signed with the rest.</summary>
    public static Uri AnsweredUrl(Uri publicBase, string requestId, string counsellorId) =>
        new(publicBase.ToString().TrimEnd('/') + Path + "?r=" + Uri.EscapeDataString(requestId) + "&k=" + Uri.EscapeDataString(counsellorId));

    [Function("CallbackCallAnswered"), RequestBodyLimit(MaxBytes)]
    public async Task<IResult> Answered(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/callback")] HttpRequest request, CancellationToken ct)
    {
        var (form, refusal) = await TwilioWebhookRequest.ReadAsync(request, secrets, hotline.PublicBaseUrl, ct);
        if (form is null)
        {
            return refusal!;
        }

        var (requestId, counsellorId) = (request.Query["r"].ToString(), request.Query["k"].ToString());
        if (!CallbackEndpoints.CallbackIds().IsMatch(requestId) || counsellorId.Length == 0)
        {
            return TwilioWebhookRequest.Problem(StatusCodes.Status400BadRequest, "The callback ('r') and the counsellor ('k') are required.");
        }

        // Still this counsellor's to make, now: a callback that closed, moved on or went to someone else is not dialled.
        var callback = await store.FindAsync(requestId, ct);
        if (callback is not { Status: CallbackStatus.Released } || callback.ReleasedTo != counsellorId)
        {
            return TwiML(Ending("This callback is no longer yours to make. Nothing was dialled. Goodbye."));
        }

        var line = lines.LineFor(await conversations.FindAsync(callback.ConversationId, ct));
        if (line is null || await callbackSecrets.ReadAsync(requestId, ct) is not { } held)
        {
            return TwiML(Ending("This callback cannot be dialled now. Goodbye."));
        }

        var response = new VoiceResponse();
        response.Append(Speak("Calling back. The code word is shown in your console."
            + (callback.MayLeaveMessage ? string.Empty : " Leave no message.")));
        var dial = new Dial(
            action: new Uri(Base(request) + Path + "/dialed?r=" + Uri.EscapeDataString(requestId)),
            method: global::Twilio.Http.HttpMethod.Post,
            timeout: DialTimeoutSeconds,
            callerId: line);
        dial.Number(new global::Twilio.Types.PhoneNumber(held.PhoneNumber));
        response.Append(dial);
        return TwiML(response.ToString());
    }

    /// <summary>The dial to the caller ended: a word to the counsellor, and the call ends.</summary>
    [Function("CallbackCallDialed"), RequestBodyLimit(MaxBytes)]
    public async Task<IResult> Dialed(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/voice/callback/dialed")] HttpRequest request, CancellationToken ct)
    {
        var (form, refusal) = await TwilioWebhookRequest.ReadAsync(request, secrets, hotline.PublicBaseUrl, ct);
        if (form is null)
        {
            return refusal!;
        }

        return TwiML(Ending(form["DialCallStatus"] switch
        {
            "completed" => "The call has ended. Record the outcome in your console. Goodbye.",
            "busy" => "The line was busy. Record the outcome in your console. Goodbye.",
            _ => "Nobody answered. Record the outcome in your console. Goodbye.",
        }));
    }

    private string Ending(string words)
    {
        var response = new VoiceResponse();
        response.Append(Speak(words));
        response.Hangup();
        return response.ToString();
    }

    private Say Speak(string words) => new(words, voice: catalogue.StaffVoice.Name, language: catalogue.StaffVoice.Locale);

    private string Base(HttpRequest request) => (hotline.PublicBaseUrl?.ToString() ?? $"{request.Scheme}://{request.Host}").TrimEnd('/');

    private static IResult TwiML(string twiml) => Results.Text(twiml, Hotline.Twilio.TwiML.ContentType);
}

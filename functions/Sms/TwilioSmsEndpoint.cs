using System.Text.RegularExpressions;
using Hotline.Conversations;
using Hotline.Functions.Hosting;
using Hotline.Functions.Routing;
using Hotline.Privacy;
using Hotline.Secrets;
using Hotline.Twilio;

namespace Hotline.Functions.Sms;

/// <summary>
/// <c>POST /api/twilio/sms</c>: Twilio's inbound SMS webhook. A body that is not a form of at most 64 KiB is refused
/// first (400, or 413 when too large): there is nothing to check a signature over. The signature of a form is then
/// checked against the public address (403) before its fields (400) and before anything is stored; the message is
/// stored (once, whatever Twilio retries) before the answer; the answer is TwiML, carrying the acknowledgement or
/// out-of-hours text when there is one.
/// </summary>
public static partial class TwilioSmsEndpoint
{
    public const int MaxBodyCharacters = 1600;
    internal const int MaxRequestBytes = TwilioWebhookRequest.MaxRequestBytes;

    internal static async Task<IResult> HandleAsync(
        HttpRequest request,
        ISecretStore secrets,
        SmsSettings settings,
        InboundMessageHandler handler,
        ImmediateRouter router,
        ILoggerFactory loggers,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var (form, refusal) = await TwilioWebhookRequest.ReadAsync(request, secrets, settings.PublicBaseUrl, cancellationToken);
        if (form is null)
        {
            return refusal!;
        }

        string? Field(string name) => form[name];
        var sid = Field("MessageSid");
        var from = Field("From");
        var to = Field("To");
        var body = Field("Body");
        if (sid is null || !MessageSidPattern().IsMatch(sid))
        {
            return Problem(StatusCodes.Status400BadRequest, "'MessageSid' is missing or malformed.");
        }

        if (string.IsNullOrWhiteSpace(from))
        {
            return Problem(StatusCodes.Status400BadRequest, "'From' is required.");
        }

        if (string.IsNullOrWhiteSpace(to))
        {
            return Problem(StatusCodes.Status400BadRequest, "'To' is required.");
        }

        // Twilio always sends Body; it is empty for a picture or other media without text (NumMedia > 0), which is
        // still the caller reaching out, so only a missing Body is refused.
        if (body is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "'Body' is required (it may be empty).");
        }

        if (body.Length > MaxBodyCharacters)
        {
            return Problem(StatusCodes.Status400BadRequest, $"'Body' is longer than {MaxBodyCharacters} characters.");
        }

        var outcome = await handler.HandleAsync(
            new InboundMessage(Channels.Sms, sid, from, to, new SensitiveText(body), time.GetUtcNow()), cancellationToken);
        if (outcome.Blocked)
        {
            loggers.CreateLogger(typeof(TwilioSmsEndpoint)).LogInformation("Dropped an SMS from a blocked caller.");
        }

        if (outcome is { NeedsRouting: true, ConversationId: { } id })
        {
            router.Request(id, outcome.RoutingFallback);
        }

        var twiml = outcome.Reply is null ? TwiML.Empty() : TwiML.Message(outcome.Reply);
        return Results.Text(twiml, TwiML.ContentType);
    }

    private static IResult Problem(int status, string reason) => TwilioWebhookRequest.Problem(status, reason);

    [GeneratedRegex("^(SM|MM)[0-9a-fA-F]{32}$")]
    private static partial Regex MessageSidPattern();
}

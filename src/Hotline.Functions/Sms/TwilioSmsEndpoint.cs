using System.Text.RegularExpressions;
using Hotline.Conversations;
using Hotline.Functions.Hosting;
using Hotline.Functions.Routing;
using Hotline.Privacy;
using Hotline.Secrets;
using Hotline.Twilio;

namespace Hotline.Functions.Sms;

/// <summary>
/// <c>POST /api/twilio/sms</c>: Twilio's inbound SMS webhook. The signature is checked against the public address
/// before anything else; the message is stored (once, whatever Twilio retries) before the answer; the answer is
/// TwiML, carrying the acknowledgement or out-of-hours text when there is one.
/// </summary>
public static partial class TwilioSmsEndpoint
{
    public const int MaxBodyCharacters = 1600;
    private const int MaxRequestBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapTwilioSms(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/twilio/sms", HandleAsync).AsFunction("TwilioSms").AllowAnonymous().DisableAntiforgery();
        return app;
    }

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
        if (!(request.ContentType ?? string.Empty).StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return Problem(StatusCodes.Status400BadRequest, "expected an application/x-www-form-urlencoded body.");
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length > MaxRequestBytes)
        {
            return Problem(StatusCodes.Status400BadRequest, "the request body is too large.");
        }

        if (!TwilioForm.TryParse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), out var form, out var formError))
        {
            return Problem(StatusCodes.Status400BadRequest, formError!);
        }

        // Twilio signed the public URL it called, not the loopback URL this handler sees behind the Functions host.
        var publicBase = settings.PublicBaseUrl?.ToString().TrimEnd('/') ?? $"{request.Scheme}://{request.Host}";
        var url = publicBase + request.PathBase + request.Path + request.QueryString;
        var token = await secrets.GetAsync(TwilioSecrets.AuthToken.Name, cancellationToken);
        if (!TwilioWebhookSignature.IsValid(request.Headers[TwilioWebhookSignature.HeaderName], url, form, token))
        {
            return Problem(StatusCodes.Status403Forbidden, "the X-Twilio-Signature header is missing or does not match.");
        }

        string? Field(string name) => form.LastOrDefault(p => p.Key == name).Value;
        var sid = Field("MessageSid");
        var from = Field("From");
        var to = Field("To");
        var body = Field("Body");
        if (sid is null || !MessageSidPattern().IsMatch(sid))
        {
            return Problem(StatusCodes.Status400BadRequest, "'MessageSid' is missing or malformed.");
        }

        if (string.IsNullOrWhiteSpace(from) || string.IsNullOrWhiteSpace(to))
        {
            return Problem(StatusCodes.Status400BadRequest, "'From' and 'To' are required.");
        }

        if (body is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "'Body' is required.");
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
            router.Request(id);
        }

        var twiml = outcome.Reply is null ? TwiML.Empty() : TwiML.Message(outcome.Reply);
        return Results.Text(twiml, TwiML.ContentType);
    }

    private static IResult Problem(int status, string reason) => Results.Problem(reason, statusCode: status);

    [GeneratedRegex("^(SM|MM)[0-9a-fA-F]{32}$")]
    private static partial Regex MessageSidPattern();
}

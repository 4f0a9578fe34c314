using System.Buffers;
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
    internal const int MaxRequestBytes = 64 * 1024;

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

        // Never read more than the limit (plus one byte, to tell "at the limit" from "over it"), whatever the sender
        // claims or leaves out: a chunked body has no Content-Length.
        if (request.ContentLength > MaxRequestBytes)
        {
            return TooLarge();
        }

        var buffer = ArrayPool<byte>.Shared.Rent(MaxRequestBytes + 1);
        List<KeyValuePair<string, string>> form;
        try
        {
            var length = await ReadAtMostAsync(request.Body, buffer.AsMemory(0, MaxRequestBytes + 1), cancellationToken);
            if (length > MaxRequestBytes)
            {
                return TooLarge();
            }

            // A body that is not a well-formed form has no parameters to check a signature over: 400 whether or not
            // it is signed. A well-formed form is checked for its signature (403) before its fields (400).
            if (!TwilioForm.TryParse(buffer.AsSpan(0, length), out form, out var formError))
            {
                return Problem(StatusCodes.Status400BadRequest, formError!);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
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

    private static IResult Problem(int status, string reason) => Results.Problem(reason, statusCode: status);

    private static IResult TooLarge() =>
        Problem(StatusCodes.Status413PayloadTooLarge, $"the request body is larger than {MaxRequestBytes} bytes.");

    /// <summary>Reads until the stream ends or <paramref name="buffer"/> is full; the number of bytes read.</summary>
    private static async Task<int> ReadAtMostAsync(Stream body, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await body.ReadAsync(buffer[length..], cancellationToken);
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        return length;
    }

    [GeneratedRegex("^(SM|MM)[0-9a-fA-F]{32}$")]
    private static partial Regex MessageSidPattern();
}

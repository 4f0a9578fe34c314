using System.Buffers;
using Hotline.Functions.Sms;
using Hotline.Secrets;
using Hotline.Twilio;

namespace Hotline.Functions.Hosting;

/// <summary>The fields of a Twilio webhook's form, read only once its signature was checked.</summary>
public sealed class TwilioWebhookForm(IReadOnlyList<KeyValuePair<string, string>> fields)
{
    /// <summary>The field's value (the last one when repeated), or null.</summary>
    public string? this[string name] => fields.LastOrDefault(p => p.Key == name).Value;
}

/// <summary>
/// Reads a Twilio webhook: a body that is not a form of at most <see cref="MaxRequestBytes"/> is refused first (400,
/// or 413 when too large), since there is nothing to check a signature over; then the signature of the form is checked
/// against the public address Twilio called (403), before any field is looked at.
/// </summary>
public static class TwilioWebhookRequest
{
    public const int MaxRequestBytes = 64 * 1024;

    /// <summary>The verified form, or the refusal to answer with.</summary>
    public static async Task<(TwilioWebhookForm? Form, IResult? Refusal)> ReadAsync(
        HttpRequest request, ISecretStore secrets, Uri? publicBaseUrl, CancellationToken cancellationToken)
    {
        if (!(request.ContentType ?? string.Empty).StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problem(StatusCodes.Status400BadRequest, "expected an application/x-www-form-urlencoded body."));
        }

        // Never read more than the limit (plus one byte, to tell "at the limit" from "over it"), whatever the sender
        // claims or leaves out: a chunked body has no Content-Length.
        if (request.ContentLength > MaxRequestBytes)
        {
            return (null, TooLarge());
        }

        var buffer = ArrayPool<byte>.Shared.Rent(MaxRequestBytes + 1);
        List<KeyValuePair<string, string>> fields;
        try
        {
            var length = await ReadAtMostAsync(request.Body, buffer.AsMemory(0, MaxRequestBytes + 1), cancellationToken);
            if (length > MaxRequestBytes)
            {
                return (null, TooLarge());
            }

            if (!TwilioForm.TryParse(buffer.AsSpan(0, length), out fields, out var formError))
            {
                return (null, Problem(StatusCodes.Status400BadRequest, formError!));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        // Twilio signed the public URL it called, not the loopback URL this handler sees behind the Functions host.
        var publicBase = publicBaseUrl?.ToString().TrimEnd('/') ?? $"{request.Scheme}://{request.Host}";
        var url = publicBase + request.PathBase + request.Path + request.QueryString;
        var token = await secrets.GetAsync(TwilioSecrets.AuthToken.Name, cancellationToken);
        if (!TwilioWebhookSignature.IsValid(request.Headers[TwilioWebhookSignature.HeaderName], url, fields, token))
        {
            return (null, Problem(StatusCodes.Status403Forbidden, "the X-Twilio-Signature header is missing or does not match."));
        }

        return (new TwilioWebhookForm(fields), null);
    }

    public static IResult Problem(int status, string reason) => Results.Problem(reason, statusCode: status);

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
}

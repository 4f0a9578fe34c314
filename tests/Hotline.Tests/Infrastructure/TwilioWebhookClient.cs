using System.Text;
using Hotline.Twilio;

namespace Hotline.Tests.Infrastructure;

/// <summary>
/// Posts Twilio webhooks to the app exactly as Twilio does: form-encoded and signed over the public URL; inbound SMS by
/// default, or to <paramref name="path"/> (a voice webhook).
/// </summary>
public sealed class TwilioWebhookClient(RunningApp app, string authToken = RunningApp.TwilioAuthToken, string path = "/api/twilio/sms")
{
    public const string GeneralNumber = "+442071234567";

    public static string NewMessageSid() => "SM" + Guid.NewGuid().ToString("N");

    public Task<HttpResponseMessage> SendSmsAsync(string from, string body, string? messageSid = null, string to = GeneralNumber) =>
        PostAsync(new Dictionary<string, string>
        {
            ["MessageSid"] = messageSid ?? NewMessageSid(),
            ["AccountSid"] = "AC" + new string('0', 32),
            ["From"] = from,
            ["To"] = to,
            ["Body"] = body,
            ["NumMedia"] = "0",
            ["NumSegments"] = "1",
        });

    public Task<HttpResponseMessage> PostAsync(IReadOnlyDictionary<string, string> form, string? signatureOverride = null) =>
        PostRawAsync(new StringContent(Encode(form), Encoding.ASCII, "application/x-www-form-urlencoded"), form, signatureOverride);

    /// <summary>
    /// Posts <paramref name="content"/> as it is (any bytes, any content type, chunked or not), signed over
    /// <paramref name="signedOver"/>, the parameters the sender meant, unless a signature is given ("" for none).
    /// </summary>
    public async Task<HttpResponseMessage> PostRawAsync(
        HttpContent content, IEnumerable<KeyValuePair<string, string>> signedOver, string? signatureOverride = null)
    {
        var signature = signatureOverride ?? Sign(RunningApp.PublicBaseUrl + Path, signedOver, authToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Path, UriKind.Relative)) { Content = content };
        if (signature.Length > 0)
        {
            request.Headers.Add(TwilioWebhookSignature.HeaderName, signature);
        }

        return await app.Http.SendAsync(request);
    }

    /// <summary>
    /// Signs as Twilio does: HMAC-SHA1 with the auth token over the URL followed by each form name and value, sorted by
    /// name (a repeated name once per value, in the order sent). The SDK only validates signatures and has no public
    /// way to compute one.
    /// </summary>
    public static string Sign(string url, IEnumerable<KeyValuePair<string, string>> form, string authToken)
    {
        var data = new StringBuilder(url);
        foreach (var (name, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data.Append(name).Append(value);
        }

        return Convert.ToBase64String(System.Security.Cryptography.HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    /// <summary>Form-encodes parameters as Twilio does.</summary>
    public static string Encode(IEnumerable<KeyValuePair<string, string>> form) =>
        string.Join('&', form.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));

    private string Path => path;
}

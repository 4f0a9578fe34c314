using System.Text;
using Hotline.Twilio;

namespace Hotline.Tests.Infrastructure;

/// <summary>Posts inbound SMS webhooks to the app exactly as Twilio does: form-encoded and signed over the public URL.</summary>
public sealed class TwilioWebhookClient(RunningApp app, string authToken = RunningApp.TwilioAuthToken)
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

    public async Task<HttpResponseMessage> PostAsync(IReadOnlyDictionary<string, string> form, string? signatureOverride = null)
    {
        const string path = "/api/twilio/sms";
        var signature = signatureOverride ?? TwilioWebhookSignature.Compute(RunningApp.PublicBaseUrl + path, form, authToken);
        var body = string.Join('&', form.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.ASCII, "application/x-www-form-urlencoded"),
        };
        if (signature.Length > 0)
        {
            request.Headers.Add(TwilioWebhookSignature.HeaderName, signature);
        }

        return await app.Http.SendAsync(request);
    }
}

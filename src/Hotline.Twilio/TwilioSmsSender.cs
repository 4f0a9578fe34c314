using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hotline.Messaging;
using Hotline.Secrets;

namespace Hotline.Twilio;

/// <summary>Where Twilio's REST API is and which secrets hold the account credentials.</summary>
public sealed record TwilioApiSettings(Uri ApiBaseUrl, string AccountSidSecret, string AuthTokenSecret)
{
    public static readonly Uri DefaultApiBaseUrl = new("https://api.twilio.com/");
}

/// <summary>
/// Sends SMS with Twilio's Messages API (form POST, HTTP Basic with the account SID and auth token). The
/// HttpClient it is given carries the resilience pipeline (timeouts, retries with jitter on 429 and 503, circuit
/// breaker). Error 21610 means the recipient replied STOP.
/// </summary>
public sealed class TwilioSmsSender(HttpClient http, ISecretStore secrets, TwilioApiSettings settings) : ISmsSender
{
    public const int OptedOutErrorCode = 21610;

    public async Task<SmsSendResult> SendAsync(string to, string from, string body, CancellationToken cancellationToken = default)
    {
        var (accountSid, request) = await RequestAsync(HttpMethod.Post, "Messages.json", cancellationToken);
        request.Content = new FormUrlEncodedContent([new("To", to), new("From", from), new("Body", body)]);
        using var response = await http.SendAsync(request, cancellationToken);
        var json = await response.Content.ReadAsStringAsync(cancellationToken);

        if (response.StatusCode == HttpStatusCode.Created || response.IsSuccessStatusCode)
        {
            using var doc = JsonDocument.Parse(json);
            return new SmsSendResult.Sent(doc.RootElement.GetProperty("sid").GetString()!);
        }

        if ((int)response.StatusCode is 429 or >= 500)
        {
            throw new SmsProviderUnavailableException($"Twilio answered {(int)response.StatusCode} for account {accountSid[..Math.Min(6, accountSid.Length)]}…");
        }

        var code = ErrorCode(json);
        return code == OptedOutErrorCode
            ? new SmsSendResult.Unreachable("recipient opted out (21610)")
            : new SmsSendResult.Rejected(code is null ? $"HTTP {(int)response.StatusCode}" : $"Twilio error {code}");
    }

    public async Task<string?> FindSentAsync(string to, string from, string body, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        var query = $"Messages.json?To={Uri.EscapeDataString(to)}&From={Uri.EscapeDataString(from)}" +
                    $"&DateSent%3E={since.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}&PageSize=50";
        var (_, request) = await RequestAsync(HttpMethod.Get, query, cancellationToken);
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new SmsProviderUnavailableException($"Twilio answered {(int)response.StatusCode} to a message lookup.");
        }

        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        foreach (var message in doc.RootElement.GetProperty("messages").EnumerateArray())
        {
            // The query filters by day only: an identical reply sent earlier that day ("OK") is not this one.
            if (message.TryGetProperty("date_created", out var d) && CreatedAt(d.GetString()) is { } created && created < since)
            {
                continue;
            }

            if (message.TryGetProperty("body", out var b) && b.GetString() == body)
            {
                return message.GetProperty("sid").GetString();
            }
        }

        return null;
    }

    private async Task<(string AccountSid, HttpRequestMessage Request)> RequestAsync(HttpMethod method, string resource, CancellationToken ct)
    {
        var accountSid = await secrets.GetAsync(settings.AccountSidSecret, ct);
        var authToken = await secrets.GetAsync(settings.AuthTokenSecret, ct);
        var request = new HttpRequestMessage(method, new Uri(settings.ApiBaseUrl, $"2010-04-01/Accounts/{Uri.EscapeDataString(accountSid)}/{resource}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.ASCII.GetBytes($"{accountSid}:{authToken}")));
        return (accountSid, request);
    }

    // Twilio writes dates as RFC 2822, e.g. "Wed, 18 Aug 2010 20:01:40 +0000".
    private static DateTimeOffset? CreatedAt(string? rfc2822) =>
        DateTimeOffset.TryParseExact(rfc2822, "ddd, dd MMM yyyy HH:mm:ss zzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? at
            : null;

    private static int? ErrorCode(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.TryGetProperty("code", out var c) && c.TryGetInt32(out var code) ? code : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

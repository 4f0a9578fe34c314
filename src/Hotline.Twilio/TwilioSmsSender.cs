using Hotline.Messaging;
using Hotline.Secrets;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Http;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace Hotline.Twilio;

/// <summary>Which secrets hold the account credentials.</summary>
public sealed record TwilioApiSettings(string AccountSidSecret, string AuthTokenSecret);

/// <summary>
/// Sends SMS and looks up sent messages through the SDK's REST client. The HttpClient it is given carries the
/// resilience pipeline (timeouts, retries with jitter on 429 and 503, circuit breaker); the SDK itself neither retries
/// nor takes a cancellation token, so that pipeline's timeouts bound each call. Error 21610 means the recipient
/// replied STOP.
/// </summary>
public sealed class TwilioSmsSender(System.Net.Http.HttpClient http, ISecretStore secrets, TwilioApiSettings settings) : ISmsSender
{
    public const int OptedOutErrorCode = 21610;

    private const int LookupPageSize = 50;

    // The credentials are read from the secret store on every call so a rotated token is used at once; the client is
    // kept only while they stay the same.
    private volatile AccountClient? _client;

    public async Task<SmsSendResult> SendAsync(string to, string from, string body, CancellationToken cancellationToken = default)
    {
        var client = await ClientAsync(cancellationToken);
        try
        {
            var message = await MessageResource.CreateAsync(
                new CreateMessageOptions(new PhoneNumber(to)) { From = new PhoneNumber(from), Body = body }, client);
            return new SmsSendResult.Sent(message.Sid);
        }
        catch (ApiException e) when (e.Status is 429 or >= 500 or 0)
        {
            // Status 0: the error answer was not Twilio's JSON (a proxy's page, say), so nothing says it was refused
            // for good. The queue tries again, asking first whether the message went out.
            throw Unavailable($"Twilio answered {(e.Status == 0 ? "an unreadable error" : e.Status)} for account {Redacted(client.AccountSid)}");
        }
        catch (ApiException e) when (e.Code == OptedOutErrorCode)
        {
            return new SmsSendResult.Unreachable("recipient opted out (21610)");
        }
        catch (ApiException e)
        {
            // Twilio's message may quote the phone number: only the code and status are kept.
            return new SmsSendResult.Rejected(e.Code != 0 ? $"Twilio error {e.Code}" : $"HTTP {e.Status}");
        }
        catch (ApiConnectionException e)
        {
            throw Unavailable($"Twilio could not be reached ({e.InnerException?.GetType().Name ?? "no answer"})");
        }
    }

    public async Task<string?> FindSentAsync(string to, string from, string body, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        var client = await ClientAsync(cancellationToken);
        IEnumerable<MessageResource> messages;
        try
        {
            var set = await MessageResource.ReadAsync(
                new ReadMessageOptions
                {
                    To = new PhoneNumber(to),
                    From = new PhoneNumber(from),
                    // Twilio documents this filter by day; the creation time is compared below.
                    DateSentAfter = since.UtcDateTime.Date,
                    PageSize = LookupPageSize,
                },
                client);
            set.AutoPaging = false; // the first page only: further pages would be fetched synchronously
            messages = set;
        }
        catch (ApiException e)
        {
            throw Unavailable($"Twilio answered {e.Status} to a message lookup");
        }
        catch (ApiConnectionException e)
        {
            throw Unavailable($"Twilio could not be reached for a message lookup ({e.InnerException?.GetType().Name ?? "no answer"})");
        }

        foreach (var message in messages)
        {
            // The filter is by day only: an identical reply sent earlier that day ("OK") is not this one.
            if (message.DateCreated is { } created && AsUtc(created) < since)
            {
                continue;
            }

            if (message.Body == body)
            {
                return message.Sid;
            }
        }

        return null;
    }

    private async Task<TwilioRestClient> ClientAsync(CancellationToken cancellationToken)
    {
        var accountSid = await secrets.GetAsync(settings.AccountSidSecret, cancellationToken);
        var authToken = await secrets.GetAsync(settings.AuthTokenSecret, cancellationToken);
        if (_client is { } cached && cached.AccountSid == accountSid && cached.AuthToken == authToken)
        {
            return cached.Client;
        }

        var client = new TwilioRestClient(accountSid, authToken, httpClient: new SystemNetHttpClient(http));
        _client = new AccountClient(accountSid, authToken, client);
        return client;
    }

    // Twilio writes times in GMT; a time without a kind is taken as such.
    private static DateTimeOffset AsUtc(DateTime at) =>
        at.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(at, TimeSpan.Zero) : new DateTimeOffset(at.ToUniversalTime(), TimeSpan.Zero);

    private static string Redacted(string accountSid) => accountSid[..Math.Min(6, accountSid.Length)] + "…";

    private static SmsProviderUnavailableException Unavailable(string reason) => new(reason + ".");

    private sealed record AccountClient(string AccountSid, string AuthToken, TwilioRestClient Client);
}

/// <summary>
/// Sends the SDK's requests for Twilio's API (always <c>https://api.twilio.com/...</c>) to another Twilio-compatible
/// endpoint instead, such as the local simulator: scheme, host and port become the base URL's, and its path is put in
/// front of the API path. Requests already sent elsewhere are left alone, so a retried request is not moved twice.
/// </summary>
public sealed class TwilioApiRedirectHandler(Uri apiBaseUrl) : DelegatingHandler
{
    private readonly string _base = apiBaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { } uri && uri.Host.EndsWith(".twilio.com", StringComparison.OrdinalIgnoreCase))
        {
            request.RequestUri = new Uri(_base + uri.PathAndQuery);
        }

        return base.SendAsync(request, cancellationToken);
    }
}

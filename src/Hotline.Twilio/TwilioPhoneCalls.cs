using Hotline.Secrets;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Http;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace Hotline.Twilio;

/// <summary>
/// Calls the app places and stops through Twilio's REST API: a counsellor's phone rung for a waiting caller, stopped
/// once it is no longer needed, and the caller's queue removed when the caller left it. Failures are reported as
/// <see cref="TwilioCallException"/> carrying Twilio's error code only: Twilio's messages may quote a phone number.
/// </summary>
public sealed class TwilioPhoneCalls(System.Net.Http.HttpClient http, ISecretStore secrets, TwilioApiSettings settings)
{
    /// <summary>Calls <paramref name="to"/> from <paramref name="from"/>; Twilio fetches <paramref name="answerUrl"/> when it is answered.
    /// Returns the new call's id.</summary>
    public async Task<string> CallAsync(string to, string from, Uri answerUrl, TimeSpan ringFor, CancellationToken cancellationToken = default)
    {
        var client = await ClientAsync(cancellationToken);
        try
        {
            var call = await CallResource.CreateAsync(
                to: new PhoneNumber(to),
                from: new PhoneNumber(from),
                url: answerUrl,
                method: global::Twilio.Http.HttpMethod.Post,
                timeout: (int)ringFor.TotalSeconds,
                client: client);
            return call.Sid;
        }
        catch (ApiException e)
        {
            throw new TwilioCallException("placing a call", e.Code, e.Status);
        }
    }

    /// <summary>Stops a call that is still ringing; Twilio leaves one already answered or ended as it is.</summary>
    public async Task CancelAsync(string callSid, CancellationToken cancellationToken = default)
    {
        var client = await ClientAsync(cancellationToken);
        try
        {
            await CallResource.UpdateAsync(callSid, status: CallResource.UpdateStatusEnum.Canceled, client: client);
        }
        catch (ApiException e) when (e.Status == 404)
        {
            // Gone already.
        }
        catch (ApiException e)
        {
            throw new TwilioCallException("stopping a call", e.Code, e.Status);
        }
    }

    /// <summary>Deletes an empty queue; one already gone counts as deleted.</summary>
    public async Task DeleteQueueAsync(string queueSid, CancellationToken cancellationToken = default)
    {
        var client = await ClientAsync(cancellationToken);
        try
        {
            await QueueResource.DeleteAsync(queueSid, client: client);
        }
        catch (ApiException e) when (e.Status == 404)
        {
            // Gone already.
        }
        catch (ApiException e)
        {
            throw new TwilioCallException("deleting a queue", e.Code, e.Status);
        }
    }

    private async Task<TwilioRestClient> ClientAsync(CancellationToken cancellationToken) => new(
        await secrets.GetAsync(settings.AccountSidSecret, cancellationToken),
        await secrets.GetAsync(settings.AuthTokenSecret, cancellationToken),
        httpClient: new SystemNetHttpClient(http));
}

/// <summary>Twilio refused a call request; only its error code and status are kept (its message may quote a number).</summary>
public sealed class TwilioCallException(string action, int code, int status)
    : Exception($"Twilio refused {action}: error {code}, HTTP {status}.")
{
    public int Code { get; } = code;

    public int Status { get; } = status;
}

using System.Net;
using System.Net.Http.Headers;
using Hotline.Calls;
using Hotline.Secrets;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Http;
using Twilio.Rest.Api.V2010.Account;

namespace Hotline.Twilio;

/// <summary>
/// Voicemails at Twilio. The audio is fetched with the account's credentials and passed on by the app, so a counsellor
/// never gets a Twilio address for it; deleting goes through the SDK's REST client. Both run over an HttpClient
/// that carries the resilience pipeline (both requests are safe to repeat).
/// </summary>
public sealed class TwilioRecordings(System.Net.Http.HttpClient http, ISecretStore secrets, TwilioApiSettings settings) : IVoicemailRecordings
{
    private const string ApiBase = "https://api.twilio.com/2010-04-01/Accounts/";

    public async Task<VoicemailAudio?> OpenAsync(string recordingSid, CancellationToken cancellationToken = default)
    {
        var (accountSid, authToken) = await CredentialsAsync(cancellationToken);
        using var request = new HttpRequestMessage(System.Net.Http.HttpMethod.Get, $"{ApiBase}{accountSid}/Recordings/{Uri.EscapeDataString(recordingSid)}.mp3");
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(accountSid + ":" + authToken)));
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            var status = (int)response.StatusCode;
            response.Dispose();
            throw new HttpRequestException($"Twilio answered {status} for a recording.", null, (HttpStatusCode)status);
        }

        // Twilio answers .mp3 requests with audio/mpeg; another Twilio-compatible endpoint may answer another format.
        var contentType = response.Content.Headers.ContentType?.MediaType is { } type && type.StartsWith("audio/", StringComparison.Ordinal) ? type : "audio/mpeg";
        return new VoicemailAudio(await response.Content.ReadAsStreamAsync(cancellationToken), contentType);
    }

    public async Task DeleteAsync(string recordingSid, CancellationToken cancellationToken = default)
    {
        var (accountSid, authToken) = await CredentialsAsync(cancellationToken);
        var client = new TwilioRestClient(accountSid, authToken, httpClient: new SystemNetHttpClient(http));
        try
        {
            await RecordingResource.DeleteAsync(recordingSid, client: client);
        }
        catch (ApiException e) when (e.Status == 404)
        {
            // Gone already: deleted by an earlier attempt, or by the account's own retention.
        }
    }

    private async Task<(string AccountSid, string AuthToken)> CredentialsAsync(CancellationToken cancellationToken) =>
        (await secrets.GetAsync(settings.AccountSidSecret, cancellationToken), await secrets.GetAsync(settings.AuthTokenSecret, cancellationToken));
}

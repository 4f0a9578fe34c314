using System.Net;
using System.Xml.Linq;
using Hotline.Twilio;

namespace Hotline.Functions.Dev.CallFlow;

/// <summary>
/// Makes Twilio's requests to the app: each one to the public URL (sent to the app's loopback HttpClient), signed with
/// <c>X-Twilio-Signature</c> over that URL and the form parameters, and recorded in order. TwiML answers must be 200
/// with an XML content type and pass <see cref="TwimlChecker"/>; callbacks must be 2xx. Anything else fails the call,
/// as Twilio would play its application error.
/// </summary>
internal sealed class CallWebhooks(HttpClient app, SimulatedCallOptions options)
{
    private readonly List<WebhookRequest> _requests = [];

    public IReadOnlyList<WebhookRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Requests a TwiML document and returns its checked &lt;Response&gt;.</summary>
    /// <param name="document">The kind of document when Twilio allows only some verbs in it (see <see cref="TwimlChecker"/>).</param>
    public async Task<XElement> FetchTwimlAsync(
        string side, Uri url, string method, IReadOnlyList<KeyValuePair<string, string>> parameters, CancellationToken ct, string? document = null)
    {
        using var response = await SendAsync(side, url, method, parameters, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new CallFlowException($"{method} {url} answered {(int)response.StatusCode}: Twilio would play an application error.{Environment.NewLine}{body}");
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is not ("application/xml" or "text/xml"))
        {
            throw new CallFlowException($"{method} {url} answered with content type '{mediaType}', not TwiML (application/xml or text/xml).");
        }

        TwimlChecker.Ensure(body, document);
        return XDocument.Parse(body).Root!;
    }

    /// <summary>A status callback: Twilio ignores the body but logs an error unless the status is 2xx.</summary>
    public async Task NotifyAsync(string side, Uri url, string method, IReadOnlyList<KeyValuePair<string, string>> parameters, CancellationToken ct)
    {
        using var response = await SendAsync(side, url, method, parameters, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new CallFlowException($"{method} {url} answered {(int)response.StatusCode} to a status callback.");
        }
    }

    /// <summary>Fetches audio the app serves for &lt;Play&gt;, as Twilio does before playing it.</summary>
    public async Task FetchAudioAsync(string side, Uri url, CancellationToken ct)
    {
        using var response = await SendAsync(side, url, "GET", [], ct);
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? string.Empty;
        if (response.StatusCode != HttpStatusCode.OK || !mediaType.StartsWith("audio/", StringComparison.Ordinal))
        {
            throw new CallFlowException($"GET {url} answered {(int)response.StatusCode} '{mediaType}': Twilio could not play it.");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(
        string side, Uri url, string method, IReadOnlyList<KeyValuePair<string, string>> parameters, CancellationToken ct)
    {
        var origin = options.PublicBase.GetLeftPart(UriPartial.Authority);
        if (!string.Equals(url.GetLeftPart(UriPartial.Authority), origin, StringComparison.OrdinalIgnoreCase))
        {
            throw new CallFlowException($"{url} is not on the app's public base {origin}: the simulated call only talks to the app.");
        }

        var isGet = string.Equals(method, "GET", StringComparison.OrdinalIgnoreCase);
        if (!isGet && !string.Equals(method, "POST", StringComparison.OrdinalIgnoreCase))
        {
            throw new CallFlowException($"Twilio requests with GET or POST only, not {method}.");
        }

        // A GET carries the parameters in its query string and signs the URL alone; a POST signs URL then form.
        var signedUrl = isGet && parameters.Count > 0
            ? url.AbsoluteUri + (url.Query.Length > 0 ? "&" : "?") + string.Join("&", parameters.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)))
            : url.AbsoluteUri;
        var signature = TwilioSimulator.Sign(signedUrl, isGet ? [] : parameters, options.AuthToken);
        lock (_requests)
        {
            _requests.Add(new WebhookRequest(side, isGet ? "GET" : "POST", new Uri(signedUrl), parameters));
        }

        using var request = new HttpRequestMessage(isGet ? HttpMethod.Get : HttpMethod.Post, new Uri(signedUrl[origin.Length..], UriKind.Relative));
        if (!isGet)
        {
            request.Content = new FormUrlEncodedContent(parameters);
        }

        request.Headers.Add(TwilioWebhookSignature.HeaderName, signature);
        return await app.SendAsync(request, ct);
    }
}

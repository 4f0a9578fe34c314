using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Xml.Linq;
using Hotline.Functions.Hosting;
using Hotline.Functions.Sms;
using Hotline.Secrets;
using Hotline.Twilio;

namespace Hotline.Functions.Dev;

/// <summary>
/// A local stand-in for Twilio, for trying the hotline without a Twilio account (Development only, never mapped
/// otherwise: 404). The page at <c>/dev/twilio</c> plays a caller's phone: what you type is form-encoded, signed exactly as
/// Twilio signs and posted to the real webhook; the immediate TwiML answer and every SMS the app sends through the
/// simulated Messages API (<c>/dev/twilio/api/</c>, which <c>./hotline up</c> configures as <c>Twilio__ApiBaseUrl</c>)
/// appear on the page, in one thread per simulated phone. Messages live in memory only.
/// </summary>
public static class TwilioSimulator
{
    public const string DevAccountSid = "AC00000000000000000000000000000000";

    public static IServiceCollection AddTwilioSimulator(this IServiceCollection services)
    {
        services.AddSingleton<SimulatedPhones>();
        services.AddSingleton<SimulatedCalls>();
        services.AddSingleton<SimulatedRecordings>();
        services.AddHttpClient("twilio-simulator");
        return services;
    }

    internal static IResult Asset(string name, string contentType)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Dev", "wwwroot", name);
        return File.Exists(path) ? Results.File(path, contentType) : Results.NotFound();
    }

    internal static async Task<IResult> SendAsCallerAsync(
        SimulatedSms? request, Uri self, IHttpClientFactory clients, ISecretStore secrets, SmsSettings settings,
        SimulatedPhones phones, CancellationToken ct)
    {
        if (request is null || string.IsNullOrWhiteSpace(request.From) || string.IsNullOrWhiteSpace(request.To) || request.Body is null)
        {
            return Results.Problem("'from', 'to' and 'body' are required.", statusCode: 400);
        }

        var publicBase = settings.PublicBaseUrl?.ToString().TrimEnd('/') ?? self.ToString().TrimEnd('/');
        var form = new Dictionary<string, string>
        {
            ["MessageSid"] = "SM" + Guid.NewGuid().ToString("N"),
            ["AccountSid"] = DevAccountSid,
            ["From"] = request.From.Trim(),
            ["To"] = request.To.Trim(),
            ["Body"] = request.Body,
            ["NumMedia"] = "0",
            ["NumSegments"] = "1",
        };
        var token = await secrets.GetAsync(TwilioSecrets.AuthToken.Name, ct);
        var signature = Sign(publicBase + "/api/twilio/sms", form, token);
        using var post = new HttpRequestMessage(HttpMethod.Post, new Uri(self, "/api/twilio/sms")) { Content = new FormUrlEncodedContent(form) };
        post.Headers.Add(TwilioWebhookSignature.HeaderName, signature);
        var sentAt = DateTimeOffset.UtcNow;
        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient("twilio-simulator").SendAsync(post, ct);
        }
        catch (HttpRequestException e)
        {
            phones.Sent(form["From"], form["To"], form["Body"], "not delivered: the webhook could not be reached", sentAt);
            return Results.Problem($"The webhook could not be reached: {e.Message}", statusCode: 502);
        }

        using var answered = response;
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            phones.Sent(form["From"], form["To"], form["Body"], $"refused: the webhook answered {(int)response.StatusCode}", sentAt);
            return Results.Problem($"The webhook answered {(int)response.StatusCode}: {body}", statusCode: 502);
        }

        phones.Sent(form["From"], form["To"], form["Body"], "sent", sentAt);
        var replies = XDocument.Parse(body).Descendants("Message").Select(m => m.Value).ToList();
        foreach (var reply in replies)
        {
            phones.Deliver(form["From"], form["To"], reply, "TwiML reply");
        }

        return Results.Ok(new { replies });
    }

    internal static async Task<IResult> ReceiveFromAppAsync(string sid, HttpRequest request, ISecretStore secrets, SimulatedPhones phones, CancellationToken ct)
    {
        if (!await AuthorizedAsync(sid, request, secrets, ct))
        {
            return Results.Json(new { code = 20003, message = "Authenticate", status = 401 }, statusCode: 401);
        }

        var form = await request.ReadFormAsync(ct);
        var sms = phones.Deliver(form["To"].ToString(), form["From"].ToString(), form["Body"].ToString(), "Messages API");
        return Results.Json(new { sid = sms.Sid, status = "queued", to = sms.To, from = sms.From, body = sms.Body }, statusCode: 201);
    }

    /// <summary>
    /// Twilio's Recordings API as the app uses it for voicemails: every recording a simulated call made plays as a
    /// short tone (nobody speaks into a simulated call) until the app deletes it.
    /// </summary>
    internal static async Task<IResult> RecordingAsync(
        string sid, string file, HttpRequest request, ISecretStore secrets, SimulatedRecordings recordings, CancellationToken ct)
    {
        if (!await AuthorizedAsync(sid, request, secrets, ct))
        {
            return Results.Json(new { code = 20003, message = "Authenticate", status = 401 }, statusCode: 401);
        }

        var recordingSid = Path.GetFileNameWithoutExtension(file);
        if (!SimulatedRecordings.IsRecordingSid(recordingSid) || recordings.IsDeleted(recordingSid))
        {
            return Results.Json(new { code = 20404, message = "The requested resource was not found", status = 404 }, statusCode: 404);
        }

        if (HttpMethods.IsDelete(request.Method))
        {
            recordings.Delete(recordingSid);
            return Results.NoContent();
        }

        return Results.Bytes(SimulatedRecordings.Tone, "audio/wav");
    }

    internal static IResult ListSent(string sid, string? to, string? from, SimulatedPhones phones) =>
        Results.Json(new { messages = phones.InboxOf(to ?? string.Empty).Where(m => from is null || m.From == from).Select(m => new { sid = m.Sid, body = m.Body }) });

    /// <summary>
    /// Signs a webhook call exactly as Twilio does (HMAC-SHA1 with the auth token over the URL followed by each form
    /// name and value, sorted by name). The SDK only validates signatures and has no public way to compute one.
    /// </summary>
    internal static string Sign(string url, IEnumerable<KeyValuePair<string, string>> form, string authToken)
    {
        var data = new StringBuilder(url);
        foreach (var (name, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data.Append(name).Append(value);
        }

        return Convert.ToBase64String(System.Security.Cryptography.HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    private static async Task<bool> AuthorizedAsync(string sid, HttpRequest request, ISecretStore secrets, CancellationToken ct)
    {
        var accountSid = await secrets.GetAsync(TwilioSecrets.AccountSid.Name, ct);
        var token = await secrets.GetAsync(TwilioSecrets.AuthToken.Name, ct);
        var expected = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes($"{accountSid}:{token}"))).ToString();
        return sid == accountSid && request.Headers.Authorization.ToString() == expected;
    }
}

public sealed record SimulatedSms(string? From, string? To, string? Body);

/// <param name="Via">How it travelled: the TwiML reply or the Messages API for the hotline's messages; for the phone's
/// own, whether the webhook took it.</param>
/// <param name="FromPhone">Written on the simulated phone (otherwise sent to it by the hotline).</param>
public sealed record SimulatedMessage(string Sid, string To, string From, string Body, string Via, DateTimeOffset At, bool FromPhone = false)
{
    /// <summary>The simulated phone whose thread the message belongs to.</summary>
    public string Phone => FromPhone ? From : To;
}

/// <summary>One simulated phone's conversation with the hotline, oldest message first.</summary>
public sealed record SimulatedThread(string Phone, IReadOnlyList<SimulatedMessage> Messages);

/// <summary>The simulated phones: what each one sent and what the hotline sent to it.</summary>
public sealed class SimulatedPhones
{
    private readonly ConcurrentQueue<SimulatedMessage> _messages = new();

    /// <summary>A message from the hotline to a phone.</summary>
    public SimulatedMessage Deliver(string to, string from, string body, string via)
    {
        var message = new SimulatedMessage("SM" + Guid.NewGuid().ToString("N"), to, from, body, via, DateTimeOffset.UtcNow);
        _messages.Enqueue(message);
        return message;
    }

    /// <summary>A message a phone sent to the hotline, stamped when it was sent.</summary>
    public SimulatedMessage Sent(string from, string to, string body, string via, DateTimeOffset at)
    {
        var message = new SimulatedMessage("SM" + Guid.NewGuid().ToString("N"), to, from, body, via, at, FromPhone: true);
        _messages.Enqueue(message);
        return message;
    }

    /// <summary>What the hotline sent to <paramref name="number"/>.</summary>
    public IReadOnlyList<SimulatedMessage> InboxOf(string number) => _messages.Where(m => !m.FromPhone && m.To == number.Trim()).ToList();

    /// <summary>Every phone's thread, in the order the phones first appeared (so the list does not move about).</summary>
    public IReadOnlyList<SimulatedThread> Threads() =>
        [.. _messages.GroupBy(m => m.Phone)
            .Select(g => new SimulatedThread(g.Key, [.. g.OrderBy(m => m.At)]))
            .OrderBy(t => t.Messages[0].At)];
}

/// <summary>Which simulated recordings the app deleted; the others all sound the same.</summary>
public sealed class SimulatedRecordings
{
    private readonly ConcurrentDictionary<string, bool> _deleted = new(StringComparer.Ordinal);

    /// <summary>Half a second of a 440 Hz tone: 8 kHz, 16-bit mono PCM in a WAV file.</summary>
    public static byte[] Tone { get; } = MakeTone();

    public static bool IsRecordingSid(string value) =>
        value.Length == 34 && value.StartsWith("RE", StringComparison.Ordinal) && value[2..].All(char.IsAsciiHexDigit);

    public bool IsDeleted(string recordingSid) => _deleted.ContainsKey(recordingSid);

    public void Delete(string recordingSid) => _deleted[recordingSid] = true;

    private static byte[] MakeTone()
    {
        const int rate = 8000, samples = 4000;
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream);
        w.Write("RIFF"u8); w.Write(36 + samples * 2); w.Write("WAVE"u8);
        w.Write("fmt "u8); w.Write(16); w.Write((short)1); w.Write((short)1); w.Write(rate); w.Write(rate * 2); w.Write((short)2); w.Write((short)16);
        w.Write("data"u8); w.Write(samples * 2);
        for (var i = 0; i < samples; i++)
        {
            w.Write((short)(Math.Sin(2 * Math.PI * 440 * i / rate) * 8000));
        }

        w.Flush();
        return stream.ToArray();
    }
}

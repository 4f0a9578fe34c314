using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Hotline.Functions.Dev.CallFlow;

namespace Hotline.Tests.Infrastructure;

/// <summary>
/// A loopback stand-in for Twilio's Messages API: checks HTTP Basic auth, records every send, answers 201 with a
/// message resource, 400 with error 21610 for opted-out recipients, and scripted error statuses (before or after
/// accepting the message) or a connection broken after accepting it; lists sent messages and counts those lookups.
/// Also keeps recordings (voicemails): serves their audio and deletes them, recording every deletion; and, given a
/// <see cref="Voice"/> account, serves its Calls and Queues API.
/// </summary>
public sealed class TwilioApiDouble : IAsyncDisposable
{
    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";

    private const int DroppedConnection = 0;

    private readonly ConcurrentQueue<(int Status, bool Accepted)> _scriptedStatuses = new();
    private readonly ConcurrentQueue<SentSms> _sent = new();
    private WebApplication _app = null!;
    private int _attempts;
    private int _lookups;

    public Uri BaseUrl { get; private set; } = null!;

    public IReadOnlyCollection<SentSms> Sent => _sent;

    public int Attempts => _attempts;

    /// <summary>How many times the sent messages were listed (how a redelivered send reconciles).</summary>
    public int Lookups => _lookups;

    public ConcurrentDictionary<string, bool> OptedOut { get; } = new();

    public string ExpectedAuthToken { get; set; } = RunningApp.TwilioAuthToken;

    public void AnswerNextWith(params int[] statuses)
    {
        foreach (var status in statuses)
        {
            _scriptedStatuses.Enqueue((status, false));
        }
    }

    /// <summary>The next sends go out to the phone, but the answer is this error, as when Twilio fails after acting.</summary>
    public void AcceptButAnswerNextWith(params int[] statuses)
    {
        foreach (var status in statuses)
        {
            _scriptedStatuses.Enqueue((status, true));
        }
    }

    /// <summary>The next send goes out to the phone, but the connection breaks before Twilio answers.</summary>
    public void AcceptButDropConnectionNext() => _scriptedStatuses.Enqueue((DroppedConnection, true));

    public static async Task<TwilioApiDouble> StartAsync()
    {
        var twilio = new TwilioApiDouble();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        twilio._app = builder.Build();
        twilio._app.MapPost("/2010-04-01/Accounts/{sid}/Messages.json", twilio.SendAsync);
        twilio._app.MapGet("/2010-04-01/Accounts/{sid}/Messages.json", twilio.List);
        twilio._app.MapGet("/2010-04-01/Accounts/{sid}/Recordings/{file}", twilio.Recording);
        twilio._app.MapDelete("/2010-04-01/Accounts/{sid}/Recordings/{file}", twilio.DeleteRecording);
        twilio._app.MapPost("/2010-04-01/Accounts/{sid}/Calls.json", twilio.VoiceAsync);
        twilio._app.MapMethods("/2010-04-01/Accounts/{sid}/Calls/{file}", ["GET", "POST"], twilio.VoiceAsync);
        twilio._app.MapDelete("/2010-04-01/Accounts/{sid}/Queues/{file}", twilio.VoiceAsync);
        await twilio._app.StartAsync();
        var address = twilio._app.Urls.First();
        twilio.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return twilio;
    }

    /// <summary>The app's settings that point it at this double; add a test's own to the copy.</summary>
    public Dictionary<string, string?> AppSettings() => new()
    {
        ["Twilio:ApiBaseUrl"] = BaseUrl.ToString(),
        ["Twilio:AccountSid"] = AccountSid,
    };

    /// <summary>Adds a message as if an earlier attempt had sent it.</summary>
    public void AlreadySent(string to, string from, string body, DateTimeOffset? at = null) =>
        _sent.Enqueue(new SentSms(NewSid(), to, from, body) { CreatedAt = at ?? DateTimeOffset.UtcNow });

    private async Task<IResult> SendAsync(string sid, HttpRequest request)
    {
        Interlocked.Increment(ref _attempts);
        if (!Authorized(sid, request))
        {
            return Results.Json(new { code = 20003, message = "Authenticate", status = 401 }, statusCode: 401);
        }

        var form = await request.ReadFormAsync();
        var to = form["To"].ToString();
        if (_scriptedStatuses.TryDequeue(out var scripted))
        {
            if (scripted.Accepted)
            {
                _sent.Enqueue(new SentSms(NewSid(), to, form["From"].ToString(), form["Body"].ToString()));
            }

            if (scripted.Status == DroppedConnection)
            {
                request.HttpContext.Abort();
                return Results.Empty;
            }

            var (code, message) = scripted.Status == 429 ? (20429, "Too Many Requests") : (20500, "Internal Server Error");
            return Results.Json(new { code, message, status = scripted.Status }, statusCode: scripted.Status);
        }

        if (OptedOut.ContainsKey(to))
        {
            return Results.Json(new { code = 21610, message = "Attempt to send to unsubscribed recipient", status = 400 }, statusCode: 400);
        }

        var sms = new SentSms(NewSid(), to, form["From"].ToString(), form["Body"].ToString());
        _sent.Enqueue(sms);
        return Results.Json(new { sid = sms.Sid, status = "queued", to = sms.To, from = sms.From, body = sms.Body }, statusCode: 201);
    }

    private IResult List(string sid, HttpRequest request)
    {
        Interlocked.Increment(ref _lookups);
        if (!Authorized(sid, request))
        {
            return Results.StatusCode(401);
        }

        var to = request.Query["To"].ToString();
        var from = request.Query["From"].ToString();
        // Dates as Twilio writes them (RFC 2822); DateSent> filters by day only, so it is not applied here either.
        var messages = _sent.Where(m => m.To == to && m.From == from).Select(m => new
        {
            sid = m.Sid, to = m.To, from = m.From, body = m.Body,
            date_created = m.CreatedAt.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", System.Globalization.CultureInfo.InvariantCulture),
        });
        return Results.Json(new { messages });
    }

    /// <summary>Recordings kept at "Twilio", by sid (RE…), as a voicemail leaves them.</summary>
    public ConcurrentDictionary<string, byte[]> Recordings { get; } = new();

    /// <summary>Every recording deletion asked for, in order (also of recordings already gone).</summary>
    public ConcurrentQueue<string> RecordingDeletions { get; } = new();

    private IResult Recording(string sid, string file, HttpRequest request)
    {
        if (!Authorized(sid, request))
        {
            return Results.StatusCode(401);
        }

        return file.EndsWith(".mp3", StringComparison.Ordinal) && Recordings.TryGetValue(file[..^4], out var audio)
            ? Results.Bytes(audio, "audio/mpeg")
            : NotFound();
    }

    private IResult DeleteRecording(string sid, string file, HttpRequest request)
    {
        if (!Authorized(sid, request))
        {
            return Results.Json(new { code = 20003, message = "Authenticate", status = 401 }, statusCode: 401);
        }

        var recordingSid = file.EndsWith(".json", StringComparison.Ordinal) ? file[..^5] : file;
        RecordingDeletions.Enqueue(recordingSid);
        return Recordings.TryRemove(recordingSid, out _) ? Results.NoContent() : NotFound();
    }

    /// <summary>
    /// The simulated account whose Calls and Queues API this double serves (calls created, cancelled, queues deleted);
    /// null: those routes answer 404. Its own AccountSid and AuthToken are checked, not <see cref="AccountSid"/>.
    /// </summary>
    public SimulatedTwilio? Voice { get; set; }

    private Task<IResult> VoiceAsync(HttpRequest request, CancellationToken ct) =>
        Voice is { } account ? SimulatedTwilioApi.ServeAsync(account, request, request.Path, ct) : Task.FromResult(NotFound());

    private static IResult NotFound() =>
        Results.Json(new { code = 20404, message = "The requested resource was not found", status = 404 }, statusCode: 404);

    private bool Authorized(string sid, HttpRequest request)
    {
        var expected = "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes($"{AccountSid}:{ExpectedAuthToken}"));
        return sid == AccountSid && request.Headers.Authorization.ToString() == expected;
    }

    private static string NewSid() => "SM" + Guid.NewGuid().ToString("N");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record SentSms(string Sid, string To, string From, string Body)
{
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}

using System.Collections.Concurrent;
using Hotline.Functions.Dev.CallFlow;
using Hotline.Tests.Infrastructure;
using Hotline.Twilio;
using Twilio.Clients;
using Twilio.Http;
using Twilio.Rest.Api.V2010.Account;
using HttpClient = System.Net.Http.HttpClient;
using HttpMethod = Twilio.Http.HttpMethod;
using PhoneNumber = Twilio.Types.PhoneNumber;

namespace Hotline.Tests.CallFlow;

/// <summary>
/// The voice line's queue design written by hand on a <see cref="FakeVoiceApp"/>, the way the app answers Twilio: the
/// caller is put in a queue of its own (<c>call-{CallSid}</c>) whose waitUrl plays a waiting message and, each round of
/// <see cref="RoundSeconds"/> of QueueTime, rings the next counsellors through the REST API (Twilio SDK, to a
/// <see cref="TwilioApiDouble"/> serving a <see cref="SimulatedTwilio"/>), cancelling the last round's calls still
/// ringing; with no one left to ring, &lt;Leave/&gt;, and the Enqueue action offers a message. A counsellor's whisper
/// asks for 1; the first to press it takes the caller with &lt;Dial&gt;&lt;Queue&gt;, the others hear "taken".
/// </summary>
public sealed class FakeQueueFlow : IAsyncDisposable
{
    public const string HotlineNumber = "+442071234567";
    public const string Conversation = "conv1";
    public const int RoundSeconds = 20;

    private readonly ConcurrentDictionary<string, bool> _rungRounds = new();
    private readonly ConcurrentDictionary<string, string> _ringing = new(); // counsellor id → created call sid
    private int _taken;
    private TwilioRestClient _rest = null!;
    private HttpClient _restHttp = null!;

    private FakeQueueFlow(IReadOnlyList<string[]> rounds) => Rounds = rounds;

    /// <summary>The counsellors' numbers rung in each round (the counsellor's id is the number's last 3 digits).</summary>
    public IReadOnlyList<string[]> Rounds { get; }

    public FakeVoiceApp App { get; private set; } = null!;

    public TwilioApiDouble Twilio { get; private set; } = null!;

    public SimulatedTwilio Account { get; private set; } = null!;

    /// <summary>Each waitUrl request's QueueTime, in order.</summary>
    public ConcurrentQueue<int> QueueTimes { get; } = new();

    /// <summary>Each Enqueue action's QueueResult, in order.</summary>
    public ConcurrentQueue<string> QueueResults { get; } = new();

    /// <summary>Who pressed 1 at the whisper, in arrival order, and whether they got the caller.</summary>
    public ConcurrentQueue<(string Counsellor, bool Took)> Accepts { get; } = new();

    /// <summary>When set, an accept request waits for it before answering (two counsellors pressing 1 at once).</summary>
    public TaskCompletionSource? HoldAccepts { get; set; }

    /// <summary>Each REST request the app made that failed (the simulated API answered an error).</summary>
    public ConcurrentQueue<string> RestFailures { get; } = new();

    public static async Task<FakeQueueFlow> StartAsync(params string[][] rounds)
    {
        var flow = new FakeQueueFlow(rounds);
        flow.Twilio = await TwilioApiDouble.StartAsync();
        flow.App = await FakeVoiceApp.StartAsync(flow.Map);
        flow.Account = new SimulatedTwilio(flow.App.Http, FakeVoiceApp.Options with { AccountSid = TwilioApiDouble.AccountSid });
        flow.Twilio.Voice = flow.Account;
        flow._restHttp = new HttpClient(new TwilioApiRedirectHandler(flow.Twilio.BaseUrl) { InnerHandler = new HttpClientHandler() });
        flow._rest = new TwilioRestClient(TwilioApiDouble.AccountSid, FakeVoiceApp.AuthToken, httpClient: new SystemNetHttpClient(flow._restHttp));
        return flow;
    }

    public static string CounsellorId(string number) => number[^3..];

    public async ValueTask DisposeAsync()
    {
        _restHttp?.Dispose();
        await App.DisposeAsync();
        await Twilio.DisposeAsync();
    }

    private static string Base => FakeVoiceApp.PublicBase.GetLeftPart(UriPartial.Authority);

    private void Map(WebApplication app)
    {
        app.MapPost("/api/twilio/voice", (HttpRequest r) => FakeVoiceApp.Twiml(
            $"""
            <Response><Say>Safety line</Say><Enqueue action="{Base}/api/twilio/voice/left?c={Conversation}" method="POST" waitUrl="{Base}/api/twilio/voice/wait?c={Conversation}" waitUrlMethod="POST">call-{r.Form["CallSid"]}</Enqueue></Response>
            """));
        app.MapPost("/api/twilio/voice/wait", WaitAsync);
        app.MapPost("/api/twilio/voice/whisper", (HttpRequest r) => FakeVoiceApp.Twiml(
            $"""<Response><Gather numDigits="1" action="/api/twilio/voice/accept?c={Conversation}&amp;p={r.Query["p"]}&amp;k={r.Query["k"]}"><Say>Press 1 to take the call</Say></Gather><Hangup/></Response>"""));
        app.MapPost("/api/twilio/voice/accept", AcceptAsync);
        app.MapPost("/api/twilio/voice/connecting", () => FakeVoiceApp.Twiml("<Response><Say>Connecting you now</Say></Response>"));
        app.MapPost("/api/twilio/voice/left", LeftAsync);
        app.MapPost("/api/twilio/voice/offer", () => FakeVoiceApp.Twiml("<Response><Say>Goodbye</Say></Response>"));
        app.MapPost("/api/twilio/voice/status", () => Results.Ok());
        app.MapPost("/api/twilio/voice/call-status", () => Results.Ok());
    }

    private async Task<IResult> WaitAsync(HttpRequest request)
    {
        var queueTime = int.Parse(request.Form["QueueTime"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
        QueueTimes.Enqueue(queueTime);
        var callSid = request.Form["CallSid"].ToString();
        var round = queueTime / RoundSeconds;
        if (round >= Rounds.Count)
        {
            await CancelRingingAsync(except: null);
            return FakeVoiceApp.Twiml("<Response><Leave/></Response>");
        }

        if (_rungRounds.TryAdd($"{callSid}/{round}", true))
        {
            await CancelRingingAsync(except: null);
            foreach (var number in Rounds[round])
            {
                var id = CounsellorId(number);
                var call = await CallResource.CreateAsync(
                    to: new PhoneNumber(number), from: new PhoneNumber(HotlineNumber),
                    url: new Uri($"{Base}/api/twilio/voice/whisper?c={Conversation}&p={callSid}&k={id}"), method: HttpMethod.Post, timeout: RoundSeconds,
                    statusCallback: new Uri($"{Base}/api/twilio/voice/call-status"), client: _rest);
                _ringing[id] = call.Sid;
            }
        }

        var pause = RoundSeconds - (queueTime % RoundSeconds) - SimulatedCall.SpokenSeconds;
        return FakeVoiceApp.Twiml($"""<Response><Say language="en-GB" voice="Polly.Amy">Please hold, we are finding someone for you</Say><Pause length="{Math.Max(pause, 1)}"/></Response>""");
    }

    private async Task<IResult> AcceptAsync(HttpRequest request)
    {
        var counsellor = request.Query["k"].ToString();
        var callerSid = request.Query["p"].ToString();
        if (HoldAccepts is { } hold)
        {
            await hold.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }

        var took = request.Form["Digits"] == "1" && Interlocked.CompareExchange(ref _taken, 1, 0) == 0;
        Accepts.Enqueue((counsellor, took));
        if (!took)
        {
            return FakeVoiceApp.Twiml("<Response><Say>Another counsellor took this call</Say><Hangup/></Response>");
        }

        await CancelRingingAsync(except: counsellor);
        return FakeVoiceApp.Twiml($"""<Response><Dial timeout="10"><Queue url="/api/twilio/voice/connecting">call-{callerSid}</Queue></Dial></Response>""");
    }

    private async Task<IResult> LeftAsync(HttpRequest request)
    {
        var result = request.Form["QueueResult"].ToString();
        QueueResults.Enqueue(result);
        await CancelRingingAsync(except: null);
        try
        {
            await QueueResource.DeleteAsync(request.Form["QueueSid"].ToString(), client: _rest);
        }
        catch (global::Twilio.Exceptions.ApiException e)
        {
            RestFailures.Enqueue($"delete queue: {e.Status} {e.Message}");
        }

        return FakeVoiceApp.Twiml(result == "leave"
            ? """<Response><Gather numDigits="1" action="/api/twilio/voice/offer"><Say>Nobody is free. Press 1 to leave a message</Say></Gather></Response>"""
            : "<Response><Hangup/></Response>");
    }

    /// <summary>Cancels the calls still ringing (Status=canceled has no effect on an answered one).</summary>
    private async Task CancelRingingAsync(string? except)
    {
        foreach (var (id, sid) in _ringing)
        {
            if (id == except || !_ringing.TryRemove(id, out _))
            {
                continue;
            }

            await CallResource.UpdateAsync(sid, status: CallResource.UpdateStatusEnum.Canceled, client: _rest);
        }
    }
}

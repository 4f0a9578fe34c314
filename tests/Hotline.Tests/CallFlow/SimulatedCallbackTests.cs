using Hotline.Functions.Dev.CallFlow;

namespace Hotline.Tests.CallFlow;

/// <summary>
/// A safe callback played on the simulated account against a fake app: the app has Twilio ring the counsellor's phone
/// through the REST API; answered, its document dials the caller back (&lt;Dial callerId&gt;&lt;Number&gt;) and the
/// Dial's action says how it went.
/// </summary>
public sealed class SimulatedCallbackTests
{
    private const string HotlineNumber = "+442071234567";
    private const string Counsellor = "+447700900101";
    private const string Caller = "+447700900123";
    private const string RomanianLine = "+40312345678";
    private const string Answer = "/api/twilio/voice/callback/answer";
    private const string Dialed = "/api/twilio/voice/callback/dialed";
    private const string CallStatus = "/api/twilio/voice/callback/status";

    private static readonly TimeSpan NoDeadlock = TimeSpan.FromSeconds(30);

    private const string DialCaller =
        $"""
        <Response>
          <Say>Calling her back now</Say>
          <Dial callerId="{HotlineNumber}" action="{Dialed}?r=R1" timeout="30"><Number>{Caller}</Number></Dial>
        </Response>
        """;

    [Fact]
    public async Task The_answered_counsellor_call_rings_the_caller_with_the_hotline_caller_id_and_her_hang_up_sends_completed_with_the_duration()
    {
        await using var app = await CallbackApp(DialCaller);
        var account = Account(app);
        var counsellor = await CallCounsellorAsync(account);

        await counsellor.AnswerAsync().WaitAsync(NoDeadlock);

        Assert.Equal(OutboundCallState.Dialing, counsellor.State);
        var leg = Assert.Single(counsellor.Legs);
        Assert.Equal((Caller, HotlineNumber, LegState.Ringing), (leg.Number, leg.CallerId, leg.State));
        Assert.Equal([$"ringing (caller id {HotlineNumber})"], leg.Heard);
        Assert.Equal(["say[en-US/man]: Calling her back now", "ringing: •••• 0123"], counsellor.Heard.Skip(2));
        Assert.DoesNotContain(counsellor.Heard, l => l.Contains(Caller, StringComparison.Ordinal));

        await account.PassTimeAsync(TimeSpan.FromSeconds(5));
        await leg.AnswerAsync().WaitAsync(NoDeadlock);
        Assert.Equal((LegState.Bridged, OutboundCallState.Bridged, leg.CallSid), (leg.State, counsellor.State, counsellor.BridgedTo));
        Assert.Equal("connected to leg 1", counsellor.Heard[^1]);
        Assert.Equal(["answered", "connected to caller"], leg.Heard.Skip(1));

        await account.PassTimeAsync(TimeSpan.FromSeconds(95));
        await leg.HangUpAsync().WaitAsync(NoDeadlock);

        var dialed = Assert.Single(account.Requests, r => r.Path == Dialed);
        Assert.Equal(("call 1", "?r=R1", counsellor.CallSid, "in-progress"), (dialed.Side, dialed.Url.Query, dialed["CallSid"], dialed["CallStatus"]));
        Assert.Equal(("completed", "true", leg.CallSid, "95"), (dialed["DialCallStatus"], dialed["DialBridged"], dialed["DialCallSid"], dialed["DialCallDuration"]));
        Assert.Equal(["leg 1 hung up", "say[en-US/man]: Callback completed", "hangup"], counsellor.Heard.TakeLast(3));
        Assert.Equal((LegState.Ended, "completed"), (leg.State, leg.Outcome));
        Assert.Equal((OutboundCallState.Ended, "completed"), (counsellor.State, counsellor.Outcome));
        var status = Assert.Single(account.Requests, r => r.Path == CallStatus);
        Assert.Equal(("completed", "100"), (status["CallStatus"], status["CallDuration"]));
        Assert.All(app.Signatures, s => Assert.True(s.Valid, s.Url));
    }

    [Fact]
    public async Task When_the_counsellor_hangs_up_on_the_bridged_caller_the_action_gets_completed_and_is_not_played()
    {
        await using var app = await CallbackApp(DialCaller);
        var account = Account(app);
        var counsellor = await CallCounsellorAsync(account);
        await counsellor.AnswerAsync().WaitAsync(NoDeadlock);
        var leg = counsellor.Legs[0];
        await leg.AnswerAsync().WaitAsync(NoDeadlock);
        await account.PassTimeAsync(TimeSpan.FromSeconds(42));

        await counsellor.HangUpAsync().WaitAsync(NoDeadlock);

        Assert.Equal((LegState.Ended, "completed"), (leg.State, leg.Outcome));
        var dialed = Assert.Single(account.Requests, r => r.Path == Dialed);
        Assert.Equal(("completed", "completed", leg.CallSid, "42"), (dialed["CallStatus"], dialed["DialCallStatus"], dialed["DialCallSid"], dialed["DialCallDuration"]));
        Assert.DoesNotContain(counsellor.Heard, l => l.Contains("Callback", StringComparison.Ordinal));
        Assert.Equal([Dialed, CallStatus], account.Requests.Select(r => r.Path).TakeLast(2));
        await Assert.ThrowsAsync<CallFlowException>(() => leg.HangUpAsync());
    }

    [Theory]
    [InlineData("busy")]
    [InlineData("failed")]
    public async Task A_caller_whose_phone_is_busy_or_unreachable_gives_the_action_that_status_and_the_counsellor_hears_its_answer(string outcome)
    {
        await using var app = await CallbackApp(DialCaller);
        var account = Account(app);
        var counsellor = await CallCounsellorAsync(account);
        await counsellor.AnswerAsync().WaitAsync(NoDeadlock);
        var leg = counsellor.Legs[0];

        await (outcome == "busy" ? leg.RejectAsync() : leg.FailAsync()).WaitAsync(NoDeadlock);

        Assert.Equal((LegState.Ended, outcome), (leg.State, leg.Outcome));
        var dialed = Assert.Single(account.Requests, r => r.Path == Dialed);
        Assert.Equal((outcome, "false", null), (dialed["DialCallStatus"], dialed["DialBridged"], dialed["DialCallSid"]));
        Assert.Equal([$"say[en-US/man]: Callback {outcome}", "hangup"], counsellor.Heard.TakeLast(2));
        Assert.Equal((OutboundCallState.Ended, "completed"), (counsellor.State, counsellor.Outcome));
    }

    [Fact]
    public async Task A_caller_who_does_not_answer_ends_no_answer_when_the_account_clock_reaches_the_Dials_timeout()
    {
        await using var app = await CallbackApp(DialCaller);
        var account = Account(app);
        var counsellor = await CallCounsellorAsync(account);
        await counsellor.AnswerAsync().WaitAsync(NoDeadlock);
        var leg = counsellor.Legs[0];
        var dialStarted = account.Seconds;

        await account.PassTimeAsync(TimeSpan.FromSeconds(29));
        Assert.Equal(LegState.Ringing, leg.State);
        Assert.DoesNotContain(account.Requests, r => r.Path == Dialed);

        await account.PassTimeAsync(TimeSpan.FromSeconds(60));

        Assert.Equal((LegState.Ended, "no-answer"), (leg.State, leg.Outcome));
        Assert.Equal("no answer", leg.Heard[^1]);
        var dialed = Assert.Single(account.Requests, r => r.Path == Dialed);
        Assert.Equal("no-answer", dialed["DialCallStatus"]);
        Assert.Equal([$"say[en-US/man]: Callback no-answer", "hangup"], counsellor.Heard.TakeLast(2));
        // The counsellor's call ended when the answer ran out, 30 s after the Dial began: its CallDuration says so.
        Assert.Equal("30", Assert.Single(account.Requests, r => r.Path == CallStatus)["CallDuration"]);
        Assert.Equal(dialStarted + 89, account.Seconds);
        await Assert.ThrowsAsync<CallFlowException>(() => leg.AnswerAsync());
    }

    [Fact]
    public async Task Letting_the_Dial_time_out_moves_the_account_clock_to_its_timeout()
    {
        await using var app = await CallbackApp(DialCaller.Replace("timeout=\"30\"", "timeout=\"25\"", StringComparison.Ordinal));
        var account = Account(app);
        var counsellor = await CallCounsellorAsync(account);
        await counsellor.AnswerAsync().WaitAsync(NoDeadlock);
        var dialStarted = account.Seconds;

        await counsellor.DialTimesOutAsync().WaitAsync(NoDeadlock);

        Assert.Equal(dialStarted + 25, account.Seconds);
        Assert.Equal("no-answer", counsellor.Legs[0].Outcome);
        Assert.Equal("no-answer", Assert.Single(account.Requests, r => r.Path == Dialed)["DialCallStatus"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task When_the_counsellor_hangs_up_while_the_caller_rings_her_phone_is_cancelled_and_the_action_is_still_requested(bool byTheApp)
    {
        await using var app = await CallbackApp(DialCaller);
        var account = Account(app);
        var counsellor = await CallCounsellorAsync(account);
        await counsellor.AnswerAsync().WaitAsync(NoDeadlock);
        var leg = counsellor.Legs[0];

        if (byTheApp)
        {
            var answer = await account.HandleApiAsync("POST", $"/2010-04-01/Accounts/{account.AccountSid}/Calls/{counsellor.CallSid}.json",
                [new("Status", "completed")], Basic(account));
            Assert.Equal(200, answer.Status);
        }
        else
        {
            await counsellor.HangUpAsync().WaitAsync(NoDeadlock);
        }

        Assert.Equal((LegState.Ended, "canceled", "cancelled"), (leg.State, leg.Outcome, leg.Heard[^1]));
        var dialed = Assert.Single(account.Requests, r => r.Path == Dialed);
        Assert.Equal(("no-answer", "false", "completed"), (dialed["DialCallStatus"], dialed["DialBridged"], dialed["CallStatus"]));
        Assert.DoesNotContain(counsellor.Heard, l => l.Contains("Callback", StringComparison.Ordinal));
        Assert.Equal([Dialed, CallStatus], account.Requests.Select(r => r.Path).TakeLast(2));
        Assert.Equal((OutboundCallState.Ended, "completed"), (counsellor.State, counsellor.Outcome));
        await Assert.ThrowsAsync<CallFlowException>(() => leg.AnswerAsync());
    }

    [Fact]
    public async Task A_Number_url_whisper_and_statusCallback_are_requested_for_the_leg_as_a_child_of_the_counsellors_call()
    {
        // The caller had called the Romanian line: she is called back from it, not from the number that rang the counsellor.
        await using var app = await CallbackApp(
            $"""
            <Response><Dial callerId="{RomanianLine}" action="{Dialed}"><Number url="/api/twilio/voice/callback/whisper" statusCallback="/api/twilio/voice/callback/leg" statusCallbackEvent="answered completed">{Caller}</Number></Dial></Response>
            """);
        var account = Account(app);
        var counsellor = await CallCounsellorAsync(account);
        await counsellor.AnswerAsync().WaitAsync(NoDeadlock);
        var leg = counsellor.Legs[0];

        await leg.AnswerAsync().WaitAsync(NoDeadlock);

        var whisper = Assert.Single(account.Requests, r => r.Path == "/api/twilio/voice/callback/whisper");
        Assert.Equal(("call 1 leg 1", leg.CallSid, counsellor.CallSid), (whisper.Side, whisper["CallSid"], whisper["ParentCallSid"]));
        Assert.Equal((RomanianLine, Caller, "outbound-dial"), (whisper["From"], whisper["To"], whisper["Direction"]));
        Assert.Equal(RomanianLine, leg.CallerId);
        Assert.Equal("say[en-US/man]: This is the hotline", leg.Heard[^2]);
        Assert.Equal(LegState.Bridged, leg.State);
        await leg.HangUpAsync().WaitAsync(NoDeadlock);
        Assert.Equal(["in-progress", "completed"], account.Requests.Where(r => r.Path == "/api/twilio/voice/callback/leg").Select(r => r["CallStatus"]));
    }

    [Theory]
    [InlineData($"""<Response><Dial timeout="2"><Number>{Caller}</Number></Dial></Response>""", "timeout")]
    [InlineData($"""<Response><Dial><Number>{Caller}</Number><Say>Hi</Say></Dial></Response>""", "<Say> is not allowed inside <Dial>")]
    [InlineData($"""<Response><Number>{Caller}</Number></Response>""", "<Number> is not allowed inside <Response>")]
    public async Task A_malformed_Dial_answer_fails_the_counsellors_call_loudly(string twiml, string problem)
    {
        await using var app = await CallbackApp(twiml);
        var account = Account(app);
        var counsellor = await CallCounsellorAsync(account);

        var failed = await Assert.ThrowsAsync<TwimlProblemsException>(() => counsellor.AnswerAsync().WaitAsync(NoDeadlock));

        Assert.Contains(failed.Problems, p => p.Contains(problem, StringComparison.Ordinal));
        Assert.Empty(counsellor.Legs);
    }

    [Fact]
    public async Task A_Dial_mixing_Number_with_another_noun_is_refused_as_not_simulated()
    {
        await using var app = await CallbackApp($"""<Response><Dial><Number>{Caller}</Number><Conference>room</Conference></Dial></Response>""");
        var account = Account(app);
        var counsellor = await CallCounsellorAsync(account);

        await Assert.ThrowsAsync<CallFlowException>(() => counsellor.AnswerAsync().WaitAsync(NoDeadlock));

        Assert.Empty(counsellor.Legs);
    }

    private static SimulatedTwilio Account(FakeVoiceApp app) => new(app.Http, FakeVoiceApp.Options);

    private static string Basic(SimulatedTwilio account) =>
        "Basic " + Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{account.AccountSid}:{FakeVoiceApp.AuthToken}"));

    /// <summary>The app's REST request: Twilio rings the counsellor's phone, showing the hotline's number.</summary>
    private static async Task<OutboundCall> CallCounsellorAsync(SimulatedTwilio account)
    {
        var created = await account.HandleApiAsync("POST", $"/2010-04-01/Accounts/{account.AccountSid}/Calls.json",
        [
            new("To", Counsellor), new("From", HotlineNumber), new("Url", $"https://hotline.example.org{Answer}?r=R1"), new("Timeout", "25"),
            new("StatusCallback", $"https://hotline.example.org{CallStatus}"),
        ], Basic(account));
        Assert.Equal(201, created.Status);
        return Assert.Single(account.Calls);
    }

    private static Task<FakeVoiceApp> CallbackApp(string answer) => FakeVoiceApp.StartAsync(a =>
    {
        a.MapPost(Answer, () => FakeVoiceApp.Twiml(answer));
        a.MapPost(Dialed, (HttpRequest r) => FakeVoiceApp.Twiml($"<Response><Say>Callback {r.Form["DialCallStatus"]}</Say></Response>"));
        a.MapPost("/api/twilio/voice/callback/whisper", () => FakeVoiceApp.Twiml("<Response><Say>This is the hotline</Say></Response>"));
        a.MapPost("/api/twilio/voice/callback/leg", () => Results.Ok());
        a.MapPost(CallStatus, () => Results.Ok());
    });
}

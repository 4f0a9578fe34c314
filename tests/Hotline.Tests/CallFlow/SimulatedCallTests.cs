using Hotline.Functions.Dev.CallFlow;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.CallFlow;

/// <summary>
/// The simulated call against a fake app with hand-written TwiML: Twilio's requests, their order, parameters and
/// signatures, and what each side hears.
/// </summary>
public sealed class SimulatedCallTests
{
    private const string Voice = "/api/twilio/voice";
    private const string Status = "/api/twilio/voice/status";
    private const string HotlineNumber = "+442071234567";

    // Three counsellors rung at once; each hears a whisper asking to press 1, the Dial's action says how it went.
    private const string DialThree =
        """
        <Response>
          <Dial action="/api/twilio/dial-done" timeout="20" callerId="+442071234567">
            <Number url="/api/twilio/whisper" statusCallback="/api/twilio/leg-status" statusCallbackEvent="answered completed">+447700900001</Number>
            <Number url="whisper">+447700900002</Number>
            <Number url="/api/twilio/whisper">+447700900003</Number>
          </Dial>
        </Response>
        """;

    private const string Whisper =
        """<Response><Gather numDigits="1" action="/api/twilio/whisper-key"><Say>Press 1 to take the call</Say></Gather><Hangup/></Response>""";

    [Fact]
    public async Task Starts_the_call_with_Twilios_parameters_signed_over_the_public_url_and_posts_the_status_at_the_end()
    {
        await using var app = await FakeVoiceApp.StartAsync(a =>
        {
            Answer(a, Voice, """<Response><Say language="ro-RO" voice="Google.ro-RO-Standard-A">Bună ziua</Say></Response>""");
            Accept(a, Status);
        });

        var call = await SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options);

        var incoming = call.Requests[0];
        Assert.Equal(("caller", "POST", Voice), (incoming.Side, incoming.Method, incoming.Path));
        Assert.Matches("^CA[0-9a-f]{32}$", incoming["CallSid"]);
        Assert.Equal(call.CallSid, incoming["CallSid"]);
        Assert.Equal("ringing", incoming["CallStatus"]);
        Assert.Equal("inbound", incoming["Direction"]);
        Assert.Equal("2010-04-01", incoming["ApiVersion"]);
        Assert.Equal((FakeVoiceApp.Options.From, HotlineNumber), (incoming["From"], incoming["To"]));
        Assert.Equal((FakeVoiceApp.Options.From, HotlineNumber), (incoming["Caller"], incoming["Called"]));
        Assert.Equal(["say[ro-RO/Google.ro-RO-Standard-A]: Bună ziua", "hangup"], call.CallerHeard);
        var status = Assert.Single(call.Requests, r => r.Path == Status);
        Assert.Equal(("completed", "0", call.CallSid), (status["CallStatus"], status["CallDuration"], status["CallSid"]));
        Assert.Equal(CallState.Ended, call.State);
        Assert.Equal(2, app.Signatures.Count);
        Assert.All(app.Signatures, s => Assert.True(s.Valid, s.Url));
    }

    [Fact]
    public async Task A_signature_made_with_another_auth_token_is_refused_by_Twilios_validator_and_fails_the_call()
    {
        await using var app = await FakeVoiceApp.StartAsync(a => Answer(a, Voice, "<Response><Hangup/></Response>"));

        var refused = await Assert.ThrowsAsync<CallFlowException>(() =>
            SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options with { AuthToken = "another-token" }));

        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
        Assert.False(Assert.Single(app.Signatures).Valid);
    }

    [Fact]
    public async Task Gather_posts_its_relative_action_with_the_digits_and_plays_the_answer()
    {
        await using var app = await FakeVoiceApp.StartAsync(a =>
        {
            Answer(a, Voice, """<Response><Gather numDigits="1" action="language"><Say>Press 2</Say></Gather><Say>Goodbye</Say></Response>""");
            a.MapPost("/api/twilio/language", (HttpRequest r) => FakeVoiceApp.Twiml($"<Response><Say>You chose {r.Form["Digits"]}</Say></Response>"));
            Accept(a, Status);
        });
        var call = await SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options);
        Assert.Equal(CallState.WaitingForKeys, call.State);

        await call.PressAsync("23");

        var action = Assert.Single(call.Requests, r => r.Path == "/api/twilio/language");
        Assert.Equal(("2", "in-progress", call.CallSid), (action["Digits"], action["CallStatus"], action["CallSid"]));
        Assert.Equal(["say[en-US/man]: Press 2", "say[en-US/man]: You chose 2", "hangup"], call.CallerHeard);
        Assert.Equal([Voice, "/api/twilio/language", Status], call.Requests.Select(r => r.Path));
        Assert.All(app.Signatures, s => Assert.True(s.Valid, s.Url));
    }

    [Fact]
    public async Task A_Gather_without_input_goes_on_with_the_verb_after_it_after_its_timeout()
    {
        await using var app = await FakeVoiceApp.StartAsync(a =>
        {
            Answer(a, Voice, """<Response><Gather numDigits="1" action="/api/twilio/language" timeout="7"><Say>Press 2</Say></Gather><Say>Goodbye</Say></Response>""");
            Accept(a, Status);
        });
        var call = await SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options);

        await call.StayQuietAsync();

        Assert.Equal(["say[en-US/man]: Press 2", "say[en-US/man]: Goodbye", "hangup"], call.CallerHeard);
        Assert.DoesNotContain(call.Requests, r => r.Path == "/api/twilio/language");
        Assert.Equal(7, call.ElapsedSeconds);
    }

    [Fact]
    public async Task Redirect_fetches_its_url_and_the_rest_of_the_first_document_is_not_played()
    {
        await using var app = await FakeVoiceApp.StartAsync(a =>
        {
            Answer(a, Voice, "<Response><Say>One</Say><Redirect>/api/twilio/next</Redirect><Say>Never</Say></Response>");
            Answer(a, "/api/twilio/next", """<Response><Pause length="2"/><Play>https://cdn.example.org/x.mp3</Play><Hangup/></Response>""");
            Accept(a, Status);
        });

        var call = await SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options);

        Assert.Equal(["say[en-US/man]: One", "pause 2s", "play: https://cdn.example.org/x.mp3", "hangup"], call.CallerHeard);
        Assert.Equal([Voice, "/api/twilio/next", Status], call.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task A_GET_carries_the_parameters_in_its_query_string_signed_with_the_url_alone()
    {
        await using var app = await FakeVoiceApp.StartAsync(a =>
        {
            Answer(a, Voice, """<Response><Redirect method="GET">/api/twilio/next?step=2</Redirect></Response>""");
            a.MapGet("/api/twilio/next", (HttpRequest r) => FakeVoiceApp.Twiml($"<Response><Say>Step {r.Query["step"]} for {r.Query["CallSid"]}</Say><Hangup/></Response>"));
            Accept(a, Status);
        });

        var call = await SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options);

        var next = call.Requests[1];
        Assert.Equal(("GET", "/api/twilio/next"), (next.Method, next.Path));
        Assert.StartsWith("?step=2&CallSid=", next.Url.Query, StringComparison.Ordinal);
        Assert.Equal($"say[en-US/man]: Step 2 for {call.CallSid}", call.CallerHeard[0]);
        Assert.All(app.Signatures, s => Assert.True(s.Valid, s.Url));
    }

    [Fact]
    public async Task Played_audio_served_by_the_app_is_fetched_when_asked_and_a_missing_file_fails_the_call()
    {
        await using var app = await FakeVoiceApp.StartAsync(a =>
        {
            Answer(a, Voice, "<Response><Play>/audio/ro.mp3</Play></Response>");
            Answer(a, "/api/twilio/missing", "<Response><Play>/audio/none.mp3</Play></Response>");
            a.MapGet("/audio/ro.mp3", () => Results.Bytes([0xFF, 0xFB], "audio/mpeg"));
            Accept(a, Status);
        });
        var options = FakeVoiceApp.Options with { FetchPlayedAudio = true };

        var call = await SimulatedCall.StartAsync(app.Http, options);

        Assert.Equal(["play: https://hotline.example.org/audio/ro.mp3", "hangup"], call.CallerHeard);
        Assert.Equal(("GET", "/audio/ro.mp3"), (call.Requests[1].Method, call.Requests[1].Path));
        var missing = await Assert.ThrowsAsync<CallFlowException>(() => SimulatedCall.StartAsync(app.Http, options with { VoicePath = "/api/twilio/missing" }));
        Assert.Contains("/audio/none.mp3", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_leg_whose_whisper_ends_is_bridged_and_every_other_leg_is_cancelled_or_hung_up()
    {
        await using var app = await DialApp();
        var call = await SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options);
        Assert.Equal(CallState.Dialing, call.State);
        Assert.Equal(["+447700900001", "+447700900002", "+447700900003"], call.Legs.Select(l => l.Number));
        Assert.All(call.Legs, l => Assert.Equal((LegState.Ringing, HotlineNumber), (l.State, l.CallerId)));
        var (first, second, third) = (call.Legs[0], call.Legs[1], call.Legs[2]);

        await first.AnswerAsync();
        await second.AnswerAsync();
        await second.PressAsync("1");

        Assert.Equal(CallState.Connected, call.State);
        Assert.Equal(LegState.Bridged, second.State);
        Assert.Equal(["ringing (caller id +442071234567)", "answered", "say[en-US/man]: Press 1 to take the call", "say[en-US/man]: Connecting", "connected to caller"], second.Heard);
        Assert.Equal((LegState.Ended, "completed", "hangup"), (first.State, first.Outcome, first.Heard[^1]));
        Assert.Equal((LegState.Ended, "canceled"), (third.State, third.Outcome));
        Assert.Equal(["ringing (caller id +442071234567)", "cancelled"], third.Heard);
        Assert.Equal(["ringing: +447700900001", "ringing: +447700900002", "ringing: +447700900003", "connected to leg 2"], call.CallerHeard);

        // The whisper is requested for the child call, relative to the document that held the Dial.
        var whisper = Assert.Single(call.Requests, r => r.Side == "leg 2" && r.Path == "/api/twilio/whisper");
        Assert.Equal((second.CallSid, call.CallSid), (whisper["CallSid"], whisper["ParentCallSid"]));
        Assert.NotEqual(call.CallSid, second.CallSid);
        Assert.Equal((HotlineNumber, "+447700900002"), (whisper["From"], whisper["To"]));
        Assert.Equal(("outbound-dial", "in-progress"), (whisper["Direction"], whisper["CallStatus"]));
        Assert.Equal("1", Assert.Single(call.Requests, r => r.Side == "leg 2" && r.Path == "/api/twilio/whisper-key")["Digits"]);

        // Leg 1 asked for answered and completed status callbacks; nothing tells the caller's Dial it is over yet.
        Assert.Equal(["in-progress", "completed"], call.Requests.Where(r => r.Path == "/api/twilio/leg-status").Select(r => r["CallStatus"]));
        Assert.DoesNotContain(call.Requests, r => r.Path == "/api/twilio/dial-done");
        Assert.All(app.Signatures, s => Assert.True(s.Valid, s.Url));
    }

    [Fact]
    public async Task A_whisper_that_hangs_up_ends_only_its_leg_and_the_others_keep_ringing()
    {
        await using var app = await DialApp();
        var call = await SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options);

        await call.Legs[0].AnswerAsync();
        await call.Legs[0].PressAsync("2");

        Assert.Equal((LegState.Ended, "hangup"), (call.Legs[0].State, call.Legs[0].Heard[^1]));
        Assert.Equal([LegState.Ringing, LegState.Ringing], call.Legs.Skip(1).Select(l => l.State));
        Assert.Equal(CallState.Dialing, call.State);
        Assert.DoesNotContain(call.Requests, r => r.Path == "/api/twilio/dial-done");

        await call.Legs[1].AnswerAsync();
        await call.Legs[1].PressAsync("1");
        Assert.Equal((CallState.Connected, LegState.Bridged), (call.State, call.Legs[1].State));
    }

    [Fact]
    public async Task When_the_Dial_times_out_its_action_gets_no_answer_and_the_caller_hears_the_answer()
    {
        await using var app = await DialApp();
        var call = await SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options);

        await call.DialTimesOutAsync();

        var done = Assert.Single(call.Requests, r => r.Path == "/api/twilio/dial-done");
        Assert.Equal(("no-answer", "false", "in-progress"), (done["DialCallStatus"], done["DialBridged"], done["CallStatus"]));
        Assert.Null(done["DialCallSid"]);
        Assert.All(call.Legs, l => Assert.Equal((LegState.Ended, "no-answer"), (l.State, l.Outcome)));
        Assert.Equal(["say[en-US/man]: Dial no-answer", "hangup"], call.CallerHeard.TakeLast(2));
        Assert.Equal(20, call.ElapsedSeconds);
        Assert.Equal(Status, call.Requests[^1].Path);
    }

    [Fact]
    public async Task When_every_leg_is_busy_the_Dial_action_gets_busy()
    {
        await using var app = await DialApp();
        var call = await SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options);

        foreach (var leg in call.Legs)
        {
            await leg.RejectAsync();
        }

        Assert.Equal("busy", Assert.Single(call.Requests, r => r.Path == "/api/twilio/dial-done")["DialCallStatus"]);
    }

    [Fact]
    public async Task When_the_caller_hangs_up_on_a_bridged_call_the_Dial_action_gets_completed_with_the_duration_and_is_not_played()
    {
        await using var app = await DialApp();
        var call = await SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options);
        var leg = call.Legs[0];
        call.PassTime(TimeSpan.FromSeconds(3));
        await leg.AnswerAsync();
        await leg.PressAsync("1");

        call.PassTime(TimeSpan.FromSeconds(42));
        await call.HangUpAsync();

        var done = Assert.Single(call.Requests, r => r.Path == "/api/twilio/dial-done");
        Assert.Equal(("completed", leg.CallSid, "42"), (done["DialCallStatus"], done["DialCallSid"], done["DialCallDuration"]));
        Assert.Equal("completed", done["CallStatus"]);
        Assert.DoesNotContain(call.CallerHeard, l => l.Contains("Dial completed", StringComparison.Ordinal));
        Assert.Equal((LegState.Ended, "completed"), (leg.State, leg.Outcome));
        var status = call.Requests[^1];
        Assert.Equal((Status, "completed", "45"), (status.Path, status["CallStatus"], status["CallDuration"]));
    }

    [Fact]
    public async Task When_the_bridged_leg_hangs_up_the_caller_goes_on_with_the_Dial_actions_answer()
    {
        await using var app = await DialApp();
        var call = await SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options);
        await call.Legs[2].AnswerAsync();
        await call.Legs[2].PressAsync("1");
        call.PassTime(TimeSpan.FromSeconds(5));

        await call.Legs[2].HangUpAsync();

        var done = Assert.Single(call.Requests, r => r.Path == "/api/twilio/dial-done");
        Assert.Equal(("completed", "5", "in-progress"), (done["DialCallStatus"], done["DialCallDuration"], done["CallStatus"]));
        Assert.Equal(["leg 3 hung up", "say[en-US/man]: Dial completed", "hangup"], call.CallerHeard.TakeLast(3));
    }

    [Fact]
    public async Task When_the_caller_hangs_up_while_legs_ring_they_are_cancelled_and_the_Dial_action_gets_no_answer()
    {
        await using var app = await DialApp();
        var call = await SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options);
        await call.Legs[0].AnswerAsync();

        await call.HangUpAsync();

        Assert.Equal(["completed", "canceled", "canceled"], call.Legs.Select(l => l.Outcome));
        var done = Assert.Single(call.Requests, r => r.Path == "/api/twilio/dial-done");
        Assert.Equal(("no-answer", "completed"), (done["DialCallStatus"], done["CallStatus"]));
        Assert.Equal([Status], call.Requests.SkipWhile(r => r != done).Skip(1).Select(r => r.Path));
        Assert.Equal(CallState.Ended, call.State);
    }

    [Fact]
    public async Task Two_legs_pressing_1_at_the_same_moment_reach_the_app_together_and_only_one_is_bridged()
    {
        var arrived = 0;
        var both = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await FakeVoiceApp.StartAsync(a =>
        {
            Answer(a, Voice, DialThree);
            Answer(a, "/api/twilio/whisper", Whisper);
            a.MapPost("/api/twilio/whisper-key", async () =>
            {
                // Answer only once both presses are in: the simulated call must not send them one after the other.
                if (Interlocked.Increment(ref arrived) == 2)
                {
                    both.TrySetResult();
                }

                await both.Task.WaitAsync(TimeSpan.FromSeconds(10));
                return FakeVoiceApp.Twiml("<Response><Say>Connecting</Say></Response>");
            });
            Accept(a, "/api/twilio/leg-status");
        });
        var call = await SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options);
        await call.Legs[0].AnswerAsync();
        await call.Legs[1].AnswerAsync();

        await Task.WhenAll(call.Legs[0].PressAsync("1"), call.Legs[1].PressAsync("1"));

        Assert.Equal(CallState.Connected, call.State);
        var bridged = Assert.Single(call.Legs, l => l.State == LegState.Bridged);
        var other = call.Legs.Take(2).Single(l => l != bridged);
        Assert.Equal((LegState.Ended, "completed"), (other.State, other.Outcome));
        Assert.DoesNotContain("connected to caller", other.Heard);
        Assert.Single(call.CallerHeard, l => l.StartsWith("connected to leg", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Record_posts_its_action_then_the_recording_status_callback_with_the_same_recording()
    {
        await using var app = await FakeVoiceApp.StartAsync(a =>
        {
            Answer(a, Voice, """<Response><Say>Leave a message</Say><Record action="/api/twilio/recorded" maxLength="120" trim="trim-silence" recordingStatusCallback="/api/twilio/recording-status"/></Response>""");
            Answer(a, "/api/twilio/recorded", "<Response><Say>Thank you</Say></Response>");
            Accept(a, "/api/twilio/recording-status");
            Accept(a, Status);
        });
        var call = await SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options);
        Assert.Equal(CallState.Recording, call.State);

        await call.RecordAsync(12, "#");

        Assert.Equal([Voice, "/api/twilio/recorded", "/api/twilio/recording-status", Status], call.Requests.Select(r => r.Path));
        var (action, recording) = (call.Requests[1], call.Requests[2]);
        Assert.Matches("^RE[0-9a-f]{32}$", action["RecordingSid"]);
        Assert.Equal(("12", "#", "in-progress"), (action["RecordingDuration"], action["Digits"], action["CallStatus"]));
        Assert.Equal((action["RecordingSid"], action["RecordingUrl"], "12"), (recording["RecordingSid"], recording["RecordingUrl"], recording["RecordingDuration"]));
        Assert.Equal(("completed", call.CallSid), (recording["RecordingStatus"], recording["CallSid"]));
        Assert.Equal(["say[en-US/man]: Leave a message", "beep", "say[en-US/man]: Thank you", "hangup"], call.CallerHeard);
    }

    [Fact]
    public async Task A_caller_who_hangs_up_after_recording_gets_Digits_hangup_and_the_answer_is_not_played()
    {
        await using var app = await FakeVoiceApp.StartAsync(a =>
        {
            Answer(a, Voice, """<Response><Record action="/api/twilio/recorded" playBeep="false"/></Response>""");
            Answer(a, "/api/twilio/recorded", "<Response><Say>Thank you</Say></Response>");
            Accept(a, Status);
        });
        var call = await SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options);

        await call.RecordAsync(7);

        var action = Assert.Single(call.Requests, r => r.Path == "/api/twilio/recorded");
        Assert.Equal(("hangup", "completed", "7"), (action["Digits"], action["CallStatus"], action["RecordingDuration"]));
        Assert.Equal(["caller hung up"], call.CallerHeard);
        Assert.Equal(Status, call.Requests[^1].Path);
    }

    [Fact]
    public async Task An_error_status_or_undocumented_TwiML_fails_the_call_loudly()
    {
        await using var app = await FakeVoiceApp.StartAsync(a =>
        {
            a.MapPost(Voice, () => Results.StatusCode(500));
            Answer(a, "/api/twilio/other", """<Response><Gather numDigit="1"/></Response>""");
        });

        var failed = await Assert.ThrowsAsync<CallFlowException>(() => SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options));
        Assert.Contains("answered 500", failed.Message, StringComparison.Ordinal);
        var undocumented = await Assert.ThrowsAsync<TwimlProblemsException>(() =>
            SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options with { VoicePath = "/api/twilio/other" }));
        Assert.Contains("numDigit", Assert.Single(undocumented.Problems), StringComparison.Ordinal);
    }

    private const string Hold = "say[en-GB/Polly.Amy]: Please hold, we are finding someone for you";
    private const string Ioana = "+447700900101";
    private const string Maria = "+447700900102";
    private const string Sam = "+447700900103";

    // Every step that makes the app call the REST API meanwhile must finish, not hang: a deadlock fails the test.
    private static readonly TimeSpan NoDeadlock = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Enqueue_requests_the_waitUrl_at_once_and_again_each_time_its_document_ends_with_the_new_QueueTime()
    {
        await using var flow = await FakeQueueFlow.StartAsync([Ioana], [Maria]);

        var call = await flow.Account.StartCallAsync().WaitAsync(NoDeadlock);

        Assert.Equal(CallState.Queued, call.State);
        Assert.Equal("call-" + call.CallSid, call.QueueName);
        Assert.Equal(["say[en-US/man]: Safety line", $"queued: call-{call.CallSid}", Hold], call.CallerHeard);
        var wait = Assert.Single(call.Requests, r => r.Path == "/api/twilio/voice/wait");
        Assert.Matches("^QU[0-9a-f]{32}$", wait["QueueSid"]);
        Assert.Equal(("1", "0", "0", "1", "1000"), (wait["QueuePosition"], wait["QueueTime"], wait["AvgQueueTime"], wait["CurrentQueueSize"], wait["MaxQueueSize"]));
        Assert.Equal((call.CallSid, "in-progress"), (wait["CallSid"], wait["CallStatus"]));
        Assert.Equal("/api/twilio/voice/wait?c=conv1", wait.Url.PathAndQuery);

        await call.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([0], flow.QueueTimes);
        Assert.Equal([.. (string[])["say[en-US/man]: Safety line", $"queued: call-{call.CallSid}", Hold, "pause 19s"]], call.CallerHeard);

        await call.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([0, 20], flow.QueueTimes);
        Assert.Equal(20, call.ElapsedSeconds);
        Assert.Equal("20", call.Requests.Last(r => r.Path == "/api/twilio/voice/wait")["QueueTime"]);
        Assert.Equal(["pause 19s", Hold], call.CallerHeard.TakeLast(2));

        // Round 1 rang Ioana for 20 s (no answer: her Timeout passed with the queue's clock), round 2 rings Maria.
        var ioana = Assert.Single(flow.Account.CallsTo(Ioana));
        Assert.Equal((OutboundCallState.Ended, "no-answer"), (ioana.State, ioana.Outcome));
        Assert.Equal(["ringing (caller id +442071234567)", "no answer"], ioana.Heard);
        Assert.Equal(OutboundCallState.Ringing, Assert.Single(flow.Account.CallsTo(Maria)).State);
        var status = Assert.Single(call.Requests, r => r.Path == "/api/twilio/voice/call-status");
        Assert.Equal((ioana.CallSid, "no-answer", "outbound-api"), (status["CallSid"], status["CallStatus"], status["Direction"]));
        Assert.All(flow.App.Signatures, s => Assert.True(s.Valid, s.Url));
    }

    [Fact]
    public async Task The_app_creates_calls_through_the_REST_API_while_Twilio_waits_for_its_waitUrl_answer()
    {
        await using var flow = await FakeQueueFlow.StartAsync([Ioana, Maria]);

        var call = await flow.Account.StartCallAsync().WaitAsync(NoDeadlock);

        // Created by the Twilio SDK during the waitUrl request, as Twilio's Calls API receives it.
        var created = flow.Account.ApiRequests.Where(r => r.Method == "POST" && r.Path.EndsWith("/Calls.json", StringComparison.Ordinal)).ToList();
        Assert.Equal([Ioana, Maria], created.Select(r => r["To"]));
        Assert.All(created, r => Assert.Equal((201, FakeQueueFlow.HotlineNumber, "POST", "20"), (r.Status, r["From"], r["Method"], r["Timeout"])));
        Assert.Equal($"https://hotline.example.org/api/twilio/voice/whisper?c=conv1&p={call.CallSid}&k=101", created[0]["Url"]);
        Assert.Equal([Ioana, Maria], flow.Account.Calls.Select(c => c.To));
        Assert.All(flow.Account.Calls, c => Assert.Matches("^CA[0-9a-f]{32}$", c.CallSid));
        Assert.All(flow.Account.Calls, c => Assert.Equal((OutboundCallState.Ringing, "ringing", 20), (c.State, c.Status, c.Timeout)));
    }

    [Fact]
    public async Task A_counsellor_who_answers_and_presses_1_takes_the_caller_from_the_queue_and_hanging_up_sends_the_caller_on()
    {
        await using var flow = await FakeQueueFlow.StartAsync([Ioana, Maria]);
        var call = await flow.Account.StartCallAsync().WaitAsync(NoDeadlock);
        await call.WaitAsync(TimeSpan.FromSeconds(5));
        var (ioana, maria) = (flow.Account.CallsTo(Ioana)[0], flow.Account.CallsTo(Maria)[0]);

        await ioana.AnswerAsync();
        var whisper = Assert.Single(call.Requests, r => r.Path == "/api/twilio/voice/whisper");
        Assert.Equal(("call 1", ioana.CallSid, "outbound-api", "in-progress"), (whisper.Side, whisper["CallSid"], whisper["Direction"], whisper["CallStatus"]));
        Assert.Equal((FakeQueueFlow.HotlineNumber, Ioana), (whisper["From"], whisper["To"]));
        Assert.Equal(OutboundCallState.InProgress, ioana.State);

        await ioana.PressAsync("1").WaitAsync(NoDeadlock);

        Assert.Equal((CallState.Connected, ioana), (call.State, call.ConnectedTo));
        Assert.Equal((OutboundCallState.Bridged, call.CallSid), (ioana.State, ioana.BridgedTo));
        Assert.Equal(["ringing (caller id +442071234567)", "answered", "say[en-US/man]: Press 1 to take the call", "connected to caller"], ioana.Heard);
        Assert.Equal(["say[en-US/man]: Connecting you now", $"connected to {Ioana}"], call.CallerHeard.TakeLast(2));
        var connecting = Assert.Single(call.Requests, r => r.Path == "/api/twilio/voice/connecting");
        Assert.Equal(("caller", ioana.CallSid, "5"), (connecting.Side, connecting["DequeingCallSid"], connecting["QueueTime"]));
        Assert.Equal((OutboundCallState.Ended, "canceled"), (maria.State, maria.Outcome));
        Assert.Empty(Assert.Single(flow.Account.Queues).MemberCallSids);
        Assert.Empty(flow.QueueResults); // the Enqueue action waits until the bridge ends

        call.PassTime(TimeSpan.FromSeconds(30));
        await ioana.HangUpAsync().WaitAsync(NoDeadlock);

        Assert.Equal(["bridged"], flow.QueueResults);
        var left = Assert.Single(call.Requests, r => r.Path == "/api/twilio/voice/left");
        Assert.Equal(("5", "in-progress"), (left["QueueTime"], left["CallStatus"]));
        Assert.Equal(CallState.Ended, call.State);
        Assert.Equal((OutboundCallState.Ended, "completed", 30L), (ioana.State, ioana.Outcome, ioana.Duration));
        var ioanaStatus = call.Requests.Last(r => r.Path == "/api/twilio/voice/call-status" && r["CallSid"] == ioana.CallSid);
        Assert.Equal(("completed", "30"), (ioanaStatus["CallStatus"], ioanaStatus["CallDuration"]));
        Assert.Equal(("completed", "35"), (call.Requests[^1]["CallStatus"], call.Requests[^1]["CallDuration"]));
        Assert.Empty(flow.Account.Queues); // deleted by the app through the REST API
        Assert.Empty(flow.RestFailures);
        Assert.All(flow.App.Signatures, s => Assert.True(s.Valid, s.Url));
    }

    [Fact]
    public async Task Two_counsellors_pressing_1_at_once_reach_the_app_together_and_the_one_it_picks_takes_the_caller()
    {
        await using var flow = await FakeQueueFlow.StartAsync([Ioana, Maria, Sam]);
        var call = await flow.Account.StartCallAsync().WaitAsync(NoDeadlock);
        var (ioana, maria, sam) = (flow.Account.CallsTo(Ioana)[0], flow.Account.CallsTo(Maria)[0], flow.Account.CallsTo(Sam)[0]);
        await ioana.AnswerAsync();
        await maria.AnswerAsync();
        flow.HoldAccepts = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var presses = Task.WhenAll(ioana.PressAsync("1"), maria.PressAsync("1"));
        await Eventually.TrueAsync(() => call.Requests.Count(r => r.Path == "/api/twilio/voice/accept") == 2, "both presses reach the app", TimeSpan.FromSeconds(10));
        flow.HoldAccepts.SetResult();
        await presses.WaitAsync(NoDeadlock);

        var winner = Assert.Single(flow.Accepts, a => a.Took).Counsellor == "101" ? ioana : maria;
        var loser = winner == ioana ? maria : ioana;
        Assert.Equal(2, flow.Accepts.Count);
        Assert.Equal((CallState.Connected, winner), (call.State, call.ConnectedTo));
        Assert.Equal(OutboundCallState.Bridged, winner.State);
        Assert.Equal((OutboundCallState.Ended, "completed"), (loser.State, loser.Outcome));
        Assert.Equal(["say[en-US/man]: Another counsellor took this call", "hangup"], loser.Heard.TakeLast(2));
        Assert.Equal((OutboundCallState.Ended, "canceled"), (sam.State, sam.Outcome));
        Assert.Single(call.CallerHeard, l => l.StartsWith("connected to", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_cancelled_call_stops_ringing_posts_canceled_and_can_no_longer_be_answered()
    {
        await using var flow = await FakeQueueFlow.StartAsync([Ioana], [Maria]);
        var call = await flow.Account.StartCallAsync().WaitAsync(NoDeadlock);
        var ioana = flow.Account.CallsTo(Ioana)[0];
        var sid = ioana.CallSid;

        var answer = await flow.Account.HandleApiAsync("POST", $"/2010-04-01/Accounts/{TwilioApiDouble.AccountSid}/Calls/{sid}.json",
            [new("Status", "canceled")], Basic(TwilioApiDouble.AccountSid, FakeVoiceApp.AuthToken));

        Assert.Equal(200, answer.Status);
        Assert.Equal("canceled", System.Text.Json.JsonDocument.Parse(answer.Json!).RootElement.GetProperty("status").GetString());
        Assert.Equal((OutboundCallState.Ended, "canceled"), (ioana.State, ioana.Outcome));
        Assert.Equal("canceled", Assert.Single(call.Requests, r => r.Path == "/api/twilio/voice/call-status")["CallStatus"]);
        await Assert.ThrowsAsync<CallFlowException>(() => ioana.AnswerAsync());
        Assert.DoesNotContain(call.Requests, r => r.Path == "/api/twilio/voice/whisper");
    }

    [Fact]
    public async Task The_REST_API_checks_the_account_and_answers_404_for_unknown_calls_and_queues()
    {
        await using var flow = await FakeQueueFlow.StartAsync([Ioana]);
        var calls = $"/2010-04-01/Accounts/{TwilioApiDouble.AccountSid}";
        var auth = Basic(TwilioApiDouble.AccountSid, FakeVoiceApp.AuthToken);
        var form = new List<KeyValuePair<string, string>> { new("To", Ioana), new("From", FakeQueueFlow.HotlineNumber), new("Url", "https://hotline.example.org/x") };

        Assert.Equal(401, (await flow.Account.HandleApiAsync("POST", calls + "/Calls.json", form, Basic(TwilioApiDouble.AccountSid, "wrong"))).Status);
        var unknown = await flow.Account.HandleApiAsync("POST", calls + $"/Calls/CA{new string('0', 32)}.json", [new("Status", "canceled")], auth);
        Assert.Equal(404, unknown.Status);
        Assert.Contains("20404", unknown.Json, StringComparison.Ordinal);
        Assert.Equal(404, (await flow.Account.HandleApiAsync("DELETE", calls + $"/Queues/QU{new string('0', 32)}.json", [], auth)).Status);
        Assert.Empty(flow.Account.Calls);
        var created = await flow.Account.HandleApiAsync("POST", calls + "/Calls.json", form, auth);
        Assert.Equal(201, created.Status);
        var resource = System.Text.Json.JsonDocument.Parse(created.Json!).RootElement;
        Assert.Equal(("queued", Ioana, flow.Account.Calls[0].CallSid), (resource.GetProperty("status").GetString(), resource.GetProperty("to").GetString(), resource.GetProperty("sid").GetString()));
        Assert.Equal(60, Assert.Single(flow.Account.Calls).Timeout); // Twilio's default ring time
    }

    [Fact]
    public async Task Leave_takes_the_caller_out_of_the_queue_and_the_action_gets_leave_and_plays_its_Gather()
    {
        await using var flow = await FakeQueueFlow.StartAsync([Ioana]);
        var call = await flow.Account.StartCallAsync().WaitAsync(NoDeadlock);

        await call.WaitAsync(TimeSpan.FromSeconds(60)).WaitAsync(NoDeadlock);

        Assert.Equal(CallState.WaitingForKeys, call.State);
        Assert.Equal(20, call.ElapsedSeconds); // <Leave> came with the second round, at 20 s
        Assert.Equal(["left the queue", "say[en-US/man]: Nobody is free. Press 1 to leave a message"], call.CallerHeard.TakeLast(2));
        var left = Assert.Single(call.Requests, r => r.Path == "/api/twilio/voice/left");
        Assert.Equal(("leave", "20", "in-progress"), (left["QueueResult"], left["QueueTime"], left["CallStatus"]));
        Assert.Equal(Assert.Single(call.Requests, r => r.Path == "/api/twilio/voice/wait" && r["QueueTime"] == "0")["QueueSid"], left["QueueSid"]);
        Assert.Empty(flow.Account.Queues);

        await call.PressAsync("1");
        Assert.Equal("1", Assert.Single(call.Requests, r => r.Path == "/api/twilio/voice/offer")["Digits"]);
    }

    [Fact]
    public async Task A_caller_who_hangs_up_while_queued_gets_the_action_with_hangup_then_the_status_callback()
    {
        await using var flow = await FakeQueueFlow.StartAsync([Ioana]);
        await flow.Account.PassTimeAsync(TimeSpan.FromSeconds(3)); // the account's clock is not the call's: QueueTime counts from the Enqueue
        var call = await flow.Account.StartCallAsync().WaitAsync(NoDeadlock);
        await call.WaitAsync(TimeSpan.FromSeconds(7));

        await call.HangUpAsync().WaitAsync(NoDeadlock);

        Assert.Equal(CallState.Ended, call.State);
        var callerRequests = call.Requests.Where(r => r.Side == "caller").Select(r => r.Path).ToList();
        Assert.Equal(["/api/twilio/voice/left", "/api/twilio/voice/status"], callerRequests.TakeLast(2));
        var left = Assert.Single(call.Requests, r => r.Path == "/api/twilio/voice/left");
        Assert.Equal(("hangup", "7", "completed"), (left["QueueResult"], left["QueueTime"], left["CallStatus"]));
        Assert.Equal("caller hung up", call.CallerHeard[^1]);
        Assert.Equal((OutboundCallState.Ended, "canceled"), (flow.Account.Calls[0].State, flow.Account.Calls[0].Outcome));
        Assert.Empty(flow.Account.Queues);
    }

    [Fact]
    public async Task A_waitUrl_document_that_takes_no_time_fails_the_call_instead_of_looping()
    {
        await using var app = await FakeVoiceApp.StartAsync(a =>
        {
            Answer(a, Voice, """<Response><Enqueue waitUrl="/api/twilio/wait">support</Enqueue></Response>""");
            Answer(a, "/api/twilio/wait", "<Response/>");
        });

        var looping = await Assert.ThrowsAsync<CallFlowException>(() => SimulatedCall.StartAsync(app.Http, FakeVoiceApp.Options).WaitAsync(NoDeadlock));

        Assert.Contains("without taking any time", looping.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dial_Queue_on_an_empty_queue_waits_until_its_timeout_and_on_a_missing_queue_fails()
    {
        await using var app = await FakeVoiceApp.StartAsync(a =>
        {
            Answer(a, Voice, """<Response><Enqueue waitUrl="/api/twilio/wait">support</Enqueue></Response>""");
            Answer(a, "/api/twilio/wait", """<Response><Pause length="30"/></Response>""");
            a.MapPost("/api/twilio/agent", (HttpRequest r) => FakeVoiceApp.Twiml(
                $"""<Response><Dial action="/api/twilio/agent-done" timeout="15"><Queue>{r.Query["q"]}</Queue></Dial></Response>"""));
            a.MapPost("/api/twilio/agent-done", (HttpRequest r) => FakeVoiceApp.Twiml($"<Response><Say>Dial {r.Form["DialCallStatus"]}</Say></Response>"));
            Accept(a, Status);
        });
        var account = new SimulatedTwilio(app.Http, FakeVoiceApp.Options);
        var caller = await account.StartCallAsync();
        await caller.HangUpAsync(); // "support" stays, empty
        var auth = Basic(account.AccountSid, FakeVoiceApp.AuthToken);
        async Task<OutboundCall> Agent(string queue)
        {
            var created = await account.HandleApiAsync("POST", $"/2010-04-01/Accounts/{account.AccountSid}/Calls.json",
                [new("To", Ioana), new("From", HotlineNumber), new("Url", $"https://hotline.example.org/api/twilio/agent?q={queue}")], auth);
            Assert.Equal(201, created.Status);
            return account.Calls[^1];
        }

        var missing = await Agent("nosuch");
        await missing.AnswerAsync();
        Assert.Equal("failed", account.Requests.Last(r => r.Path == "/api/twilio/agent-done")["DialCallStatus"]);
        Assert.Equal(["no queue nosuch", "say[en-US/man]: Dial failed", "hangup"], missing.Heard.TakeLast(3));

        var empty = await Agent("support");
        await empty.AnswerAsync();
        Assert.Equal(OutboundCallState.WaitingForQueue, empty.State);
        var before = account.Seconds;
        await empty.DialTimesOutAsync();
        Assert.Equal(before + 15, account.Seconds);
        Assert.Equal("no-answer", account.Requests.Last(r => r.Path == "/api/twilio/agent-done")["DialCallStatus"]);
        Assert.Equal((OutboundCallState.Ended, "completed"), (empty.State, empty.Outcome));
    }

    private static string Basic(string user, string password) =>
        "Basic " + Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{user}:{password}"));

    private static Task<FakeVoiceApp> DialApp() => FakeVoiceApp.StartAsync(a =>
    {
        Answer(a, Voice, DialThree);
        Answer(a, "/api/twilio/whisper", Whisper);
        a.MapPost("/api/twilio/whisper-key", (HttpRequest r) =>
            FakeVoiceApp.Twiml(r.Form["Digits"] == "1" ? "<Response><Say>Connecting</Say></Response>" : "<Response><Hangup/></Response>"));
        a.MapPost("/api/twilio/dial-done", (HttpRequest r) => FakeVoiceApp.Twiml($"<Response><Say>Dial {r.Form["DialCallStatus"]}</Say></Response>"));
        Accept(a, "/api/twilio/leg-status");
        Accept(a, Status);
    });

    private static void Answer(WebApplication app, string path, string twiml) => app.MapPost(path, () => FakeVoiceApp.Twiml(twiml));

    private static void Accept(WebApplication app, string path) => app.MapPost(path, () => Results.Ok());
}

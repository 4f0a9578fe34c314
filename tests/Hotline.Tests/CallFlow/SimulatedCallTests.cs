using Hotline.Functions.Dev.CallFlow;

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

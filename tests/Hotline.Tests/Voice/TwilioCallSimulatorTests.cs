using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Calls;
using Hotline.Conversations;
using Hotline.Functions.Dev;
using Hotline.Functions.Sms;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Tests.CallFlow;
using Hotline.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Hotline.Tests.Voice;

/// <summary>
/// The local simulator's call page: a voice call placed through <c>/dev/twilio/calls</c>, Twilio's part played against
/// the app's own voice webhooks over HTTP, every side's steps taken through the API or the page.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class TwilioCallSimulatorTests(Chromium chromium) : IAsyncLifetime
{
    private const string Caller = "+40721234599";
    private const string RomanianLine = "+40312345678";
    private const string IoanaPhone = "+447700900201";
    private const string MariaPhone = "+447700900202";

    private static readonly Counsellor[] Roster =
    [
        new("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 2) { Phone = StaffPhoneNumber.Parse(IoanaPhone), TakesCallsOnPhone = true },
        new("maria", "Maria", ["ro"], OnCall: true, Capacity: 2) { Phone = StaffPhoneNumber.Parse(MariaPhone), TakesCallsOnPhone = true },
        new("sam", "Sam", ["en"], OnCall: true, Capacity: 2) { Phone = StaffPhoneNumber.Parse("+447700900209"), TakesCallsOnPhone = true, SupervisorOnDuty = true },
    ];

    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        var port = RunningApp.FreePort();
        _app = await RunningApp.StartWithRosterAsync(Roster, new Dictionary<string, string?>
        {
            // Twilio signs over the public base (not the loopback address the simulator posts to), with the token
            // generated in the local secret store, as with ./hotline up.
            ["Twilio:AuthToken"] = null,
            ["Twilio:ApiBaseUrl"] = $"http://127.0.0.1:{port}/dev/twilio/api/",
            ["Twilio:AccountSid"] = TwilioSimulator.DevAccountSid,
            ["Sms:Numbers"] = RomanianLine + "=ro",
        }, port);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static Uri Calls(string path = "") => new("/dev/twilio/calls" + path, UriKind.Relative);

    private async Task<JsonElement> StepAsync(string path, object? body = null)
    {
        var response = await _app.Http.PostAsJsonAsync(Calls(path), body ?? new { });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static string[] Lines(JsonElement array) => [.. array.EnumerateArray().Select(l => l.GetString()!)];

    [Fact]
    public async Task A_voicemail_left_on_a_simulated_call_plays_through_the_app_from_the_simulators_Recordings_API_until_handled()
    {
        var start = await _app.Http.PostAsJsonAsync(Calls(), new { from = Caller, to = RomanianLine });
        var id = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await StepAsync($"/{id}/quiet");
        await StepAsync($"/{id}/wait", new { seconds = 26 });
        var offered = await StepAsync($"/{id}/wait", new { seconds = 26 }); // the supervisor's round too: nobody answered
        Assert.Equal("WaitingForKeys", offered.GetProperty("state").GetString());
        await StepAsync($"/{id}/press", new { keys = "1" });
        await StepAsync($"/{id}/record", new { seconds = 15, key = "#" });

        var store = _app.Services.GetRequiredService<IConversationStore>();
        var conversation = await Eventually.ReturnsAsync(async () =>
            (await store.ListOpenAsync()).FirstOrDefault(c => c.CurrentCall?.RecordingSid is not null && c.AssignedTo is not null), "the voicemail offered");
        var counsellor = await StaffTokens.ClientForAsync(_app, conversation.AssignedTo!, "counsellor");
        var url = $"/api/conversations/{conversation.Id}/calls/{conversation.CurrentCall!.CallSid}/voicemail";

        var audio = await counsellor.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, audio.StatusCode);
        Assert.Equal("audio/wav", audio.Content.Headers.ContentType!.MediaType);
        Assert.Equal(SimulatedRecordings.Tone, await audio.Content.ReadAsByteArrayAsync());

        (await counsellor.PostAsync($"/api/conversations/{conversation.Id}/voicemails/handled", null)).EnsureSuccessStatusCode();
        Assert.True(_app.Services.GetRequiredService<SimulatedRecordings>().IsDeleted(conversation.CurrentCall.RecordingSid!));
        Assert.Equal(HttpStatusCode.NotFound, (await counsellor.GetAsync(url)).StatusCode);
    }

    [Fact]
    public async Task A_call_to_the_Romanian_line_rings_the_Romanian_phones_and_the_one_who_answers_and_presses_1_talks_with_the_caller()
    {
        var start = await _app.Http.PostAsJsonAsync(Calls(), new { from = Caller, to = RomanianLine });
        Assert.Equal(HttpStatusCode.Created, start.StatusCode);
        var call = await start.Content.ReadFromJsonAsync<JsonElement>();
        var id = call.GetProperty("id").GetString()!;
        Assert.Equal($"/dev/twilio/calls/{id}", start.Headers.Location!.OriginalString);
        Assert.Equal("WaitingForKeys", call.GetProperty("state").GetString());
        Assert.Contains(Lines(call.GetProperty("callerHeard")), l => l.StartsWith("say[ro-RO/", StringComparison.Ordinal));

        call = await StepAsync($"/{id}/quiet");
        Assert.Equal("Queued", call.GetProperty("state").GetString());
        // The app rang both Romanian speakers' phones through the simulator's REST API, showing the hotline's number.
        var phones = call.GetProperty("outbound").EnumerateArray().ToList();
        Assert.Equal([IoanaPhone, MariaPhone], phones.Select(l => l.GetProperty("to").GetString()).Order());
        Assert.All(phones, l => Assert.Equal(("Ringing", RomanianLine), (l.GetProperty("state").GetString(), l.GetProperty("from").GetString())));
        var ioana = phones.Single(l => l.GetProperty("to").GetString() == IoanaPhone).GetProperty("index").GetInt32();

        call = await StepAsync($"/{id}/outbound/{ioana}/answer");
        var heard = Lines(call.GetProperty("outbound").EnumerateArray().Single(l => l.GetProperty("index").GetInt32() == ioana).GetProperty("heard"));
        Assert.Contains(heard, l => l.Contains("Hotline call, Romanian. Press 1 to accept.", StringComparison.Ordinal));
        call = await StepAsync($"/{id}/outbound/{ioana}/press", new { keys = "1" });

        Assert.Equal("Connected", call.GetProperty("state").GetString());
        Assert.Contains($"connected to {IoanaPhone}", Lines(call.GetProperty("callerHeard")));
        Assert.All(call.GetProperty("outbound").EnumerateArray(), l =>
            Assert.Equal(l.GetProperty("index").GetInt32() == ioana ? ("Bridged", "in-progress") : ("Ended", "canceled"), (l.GetProperty("state").GetString(), l.GetProperty("status").GetString())));
        // The requests went to the app's own webhooks, each named with its key parameters.
        var requests = call.GetProperty("requests").EnumerateArray().ToList();
        Assert.Equal(("caller", "POST", "/api/twilio/voice"), (requests[0].GetProperty("side").GetString(), requests[0].GetProperty("method").GetString(), requests[0].GetProperty("path").GetString()));
        Assert.Contains(requests, r => r.GetProperty("path").GetString()!.StartsWith("/api/twilio/voice/wait?", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.GetProperty("side").GetString() == $"call {ioana}" && r.GetProperty("path").GetString()!.StartsWith("/api/twilio/voice/accept?", StringComparison.Ordinal)
            && r.GetProperty("parameters").TryGetProperty("Digits", out var d) && d.GetString() == "1");

        await StepAsync($"/{id}/talk", new { seconds = 90 });
        call = await StepAsync($"/{id}/hangup");
        Assert.Equal("Ended", call.GetProperty("state").GetString());
        Assert.InRange(call.GetProperty("elapsedSeconds").GetInt64(), 90, 100); // the safety line's few seconds, then the talk

        var store = _app.Services.GetRequiredService<IConversationStore>();
        var pseudonym = await _app.Services.GetRequiredService<CallerPseudonymizer>().PseudonymOfAsync(Caller);
        var ended = await Eventually.ReturnsAsync(async () =>
            await store.FindCallerAsync(pseudonym) is { } caller && (caller.OpenConversationId ?? caller.LastConversationId) is { } conversation
            && await store.FindAsync(conversation) is { CurrentCall.Phase: CallPhase.Ended } c ? c : null, "the call recorded as over");
        Assert.Equal((CallOutcome.Answered, "ioana"), (ended.CurrentCall!.Outcome, ended.CurrentCall.AnsweredBy));

        // The call is still there to read once over.
        var view = await _app.Http.GetFromJsonAsync<JsonElement>(Calls($"/{id}"));
        Assert.Equal("Ended", view.GetProperty("state").GetString());
        Assert.Contains((await _app.Http.GetFromJsonAsync<JsonElement>(Calls())).EnumerateArray(), c => c.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task An_unknown_call_or_leg_is_404_a_step_that_does_not_fit_the_call_is_409_with_the_reason_and_bad_input_400()
    {
        var call = await (await _app.Http.PostAsJsonAsync(Calls(), new { from = Caller, to = RomanianLine })).Content.ReadFromJsonAsync<JsonElement>();
        var id = call.GetProperty("id").GetString()!;

        Assert.Equal(HttpStatusCode.NotFound, (await _app.Http.GetAsync(Calls("/c000000000000"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Http.PostAsJsonAsync(Calls("/c000000000000/quiet"), new { })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Http.PostAsJsonAsync(Calls($"/{id}/outbound/1/answer"), new { })).StatusCode); // nothing rings yet
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Http.PostAsJsonAsync(Calls($"/{id}/dance"), new { })).StatusCode);

        // At the safety line's Gather: nothing rings, nothing records.
        var notDialing = await _app.Http.PostAsJsonAsync(Calls($"/{id}/dial-timeout"), new { });
        Assert.Equal(HttpStatusCode.Conflict, notDialing.StatusCode);
        Assert.Contains("not Dialing", await notDialing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, (await _app.Http.PostAsJsonAsync(Calls($"/{id}/record"), new { seconds = 10, key = "#" })).StatusCode);

        Assert.Equal(HttpStatusCode.BadRequest, (await _app.Http.PostAsJsonAsync(Calls($"/{id}/press"), new { keys = "1a" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _app.Http.PostAsJsonAsync(Calls($"/{id}/press"), new { })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _app.Http.PostAsJsonAsync(Calls($"/{id}/record"), new { seconds = -1 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _app.Http.PostAsJsonAsync(Calls($"/{id}/outbound/x/answer"), new { })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _app.Http.PostAsJsonAsync(Calls(), new { from = Caller })).StatusCode);

        await StepAsync($"/{id}/quiet");
        await StepAsync($"/{id}/outbound/1/answer");
        var twice = await _app.Http.PostAsJsonAsync(Calls($"/{id}/outbound/1/answer"), new { });
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Http.PostAsJsonAsync(Calls($"/{id}/outbound/3/answer"), new { })).StatusCode);
        await StepAsync($"/{id}/hangup");
        Assert.Equal(HttpStatusCode.Conflict, (await _app.Http.PostAsJsonAsync(Calls($"/{id}/hangup"), new { })).StatusCode);
    }

    [Fact]
    public async Task Outside_Development_there_is_no_call_simulator()
    {
        await using var app = await RunningApp.StartAsync(new Dictionary<string, string?>
        {
            ["Secrets:Provider"] = null,
            ["Secrets:LocalFile"] = null,
            ["Secrets:VaultUri"] = "https://hotline-kv.vault.azure.net/",
            ["Callbacks:VaultUri"] = "https://hotline-callbacks-kv.vault.azure.net/",
            ["Auth:Authority"] = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0",
            ["Auth:Audience"] = "api://hotline",
        }, needsStorage: false, environment: "Production");
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.PostAsJsonAsync(Calls(), new { from = Caller, to = RomanianLine })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync(Calls())).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync(new Uri("/dev/twilio/call", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync(new Uri("/dev/twilio/lines", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.PostAsJsonAsync(Calls("/c1/legs/1/answer"), new { })).StatusCode);
    }

    [Fact]
    public async Task On_the_call_page_a_caller_dials_a_counsellor_answers_presses_1_and_the_page_shows_the_whisper_and_the_connected_call()
    {
        var page = await chromium.NewPageAsync();
        await page.AddInitScriptAsync(
            "window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => " +
            "window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));");
        await page.GotoAsync(new Uri(_app.BaseAddress, "dev/twilio/call").ToString());
        await page.FillAsync("#from", Caller);
        await page.Locator("#to").SelectOptionAsync(RomanianLine);
        await page.ClickAsync("#dial button[type=submit]");
        await Assertions.Expect(page.Locator("#call-state")).ToContainTextAsync("waiting for a key");
        await Assertions.Expect(page.Locator("#caller-heard")).ToContainTextAsync("say[ro-RO/");

        await page.ClickAsync("#caller-keys [data-key='2']"); // not 9 (danger): the safety line goes on to ring
        var legs = page.Locator("#outbound .leg");
        await Assertions.Expect(legs).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#call-state")).ToContainTextAsync("Waiting in the queue");
        var ioana = legs.Filter(new() { HasText = IoanaPhone });
        await Assertions.Expect(ioana).ToContainTextAsync("Shows the call as from " + RomanianLine);
        await ioana.GetByRole(AriaRole.Button, new() { Name = "Answer" }).ClickAsync();
        await Assertions.Expect(ioana.Locator("ol.heard")).ToContainTextAsync("Hotline call, Romanian. Press 1 to accept.");
        await Chromium.ScreenshotAsync(page, "call-simulator-whisper");

        await ioana.Locator(".keypad [data-key='1']").ClickAsync();
        await Assertions.Expect(page.Locator("#call-state")).ToContainTextAsync("Connected");
        await Assertions.Expect(ioana.Locator(".state")).ToHaveTextAsync("Connected to the caller (in-progress)");
        await Assertions.Expect(ioana.Locator("ol.heard")).ToContainTextAsync("connected to caller");
        await Assertions.Expect(legs.Filter(new() { HasText = MariaPhone }).Locator(".state")).ToHaveTextAsync("Ended (canceled)");
        await Assertions.Expect(page.Locator("#caller-heard")).ToContainTextAsync("Vă rugăm să rămâneți la telefon"); // the waiting message, in Romanian
        await Assertions.Expect(page.Locator("#caller-keys [data-key='1']")).ToBeDisabledAsync();
        await Chromium.ScreenshotAsync(page, "call-simulator-connected");

        await page.ClickAsync("#hangup");
        await Assertions.Expect(page.Locator("#call-state")).ToContainTextAsync("The call has ended");
        Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__violations"));
    }

    [Fact]
    public async Task On_the_call_page_the_caller_a_counsellors_call_dials_back_is_a_masked_phone_that_answers_and_hangs_up()
    {
        // The app's callback webhooks are stood in for by a fake app; the page is the app's own, showing the simulator's
        // real views and sending its steps, which are played on that simulated account.
        const string callBack = "+447700900123";
        await using var fake = await FakeVoiceApp.StartAsync(a =>
        {
            a.MapPost("/api/twilio/voice", () => FakeVoiceApp.Twiml("<Response><Gather><Say>Hello</Say></Gather></Response>"));
            a.MapPost("/api/twilio/callback", () => FakeVoiceApp.Twiml(
                $"""<Response><Dial callerId="{RomanianLine}" action="/api/twilio/dialed"><Number>{callBack}</Number></Dial></Response>"""));
            a.MapPost("/api/twilio/dialed", (HttpRequest r) => FakeVoiceApp.Twiml($"<Response><Say>Callback {r.Form["DialCallStatus"]}</Say></Response>"));
            a.MapPost("/api/twilio/voice/status", () => Results.Ok());
        });
        var calls = new SimulatedCalls(new SimulatedCallsTests.Clients(), new SimulatedCallsTests.Secrets(),
            new SmsSettings(FakeVoiceApp.PublicBase, new Dictionary<string, string>(), "112"), TimeProvider.System);
        var account = await calls.AccountAsync(fake.Http.BaseAddress!);
        var id = (await calls.StartAsync(Caller, RomanianLine, fake.Http.BaseAddress!)).Id;
        await account.HandleApiAsync("POST", $"/2010-04-01/Accounts/{account.AccountSid}/Calls.json",
            [new("To", IoanaPhone), new("From", RomanianLine), new("Url", "https://hotline.example.org/api/twilio/callback")],
            "Basic " + Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{account.AccountSid}:{FakeVoiceApp.AuthToken}")));
        await calls.OutboundStepAsync(id, 1, (c, t) => c.AnswerAsync(t));

        var page = await chromium.NewPageAsync();
        var posted = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await page.RouteAsync("**/dev/twilio/calls**", async route =>
        {
            var path = new Uri(route.Request.Url).AbsolutePath;
            SimulatedCallView? view = path switch
            {
                "/dev/twilio/calls" => null,
                _ when path.EndsWith("/outbound/1/legs/1/answer", StringComparison.Ordinal) => await calls.OutboundStepAsync(id, 1, (c, t) => c.Legs[0].AnswerAsync(t)),
                _ when path.EndsWith("/outbound/1/legs/1/hangup", StringComparison.Ordinal) => await calls.OutboundStepAsync(id, 1, (c, t) => c.Legs[0].HangUpAsync(t)),
                _ => throw new InvalidOperationException("The page sent a step the test does not expect: " + path),
            };
            if (route.Request.Method == "POST")
            {
                posted.Enqueue(path);
            }

            await route.FulfillAsync(new()
            {
                ContentType = "application/json",
                Body = view is null ? JsonSerializer.Serialize(calls.All(), JsonSerializerOptions.Web) : JsonSerializer.Serialize(view, JsonSerializerOptions.Web),
            });
        });
        await page.GotoAsync(new Uri(_app.BaseAddress, "dev/twilio/call").ToString());
        await page.Locator("#calls button").First.ClickAsync();

        var counsellor = page.Locator("#outbound > .leg");
        await Assertions.Expect(counsellor.Locator(":scope > .state")).ToHaveTextAsync("Its <Dial> rings a number (in-progress)");
        var phone = counsellor.Locator(".dialled .leg");
        await Assertions.Expect(phone.Locator("h4")).ToHaveTextAsync("Phone 1: •••• 0123");
        await Assertions.Expect(phone.Locator("p").First).ToHaveTextAsync("Shows the call as from " + RomanianLine);
        await Assertions.Expect(phone.GetByRole(AriaRole.Button, new() { Name = "Let it ring out" })).ToBeVisibleAsync();
        await Assertions.Expect(phone.GetByRole(AriaRole.Button, new() { Name = "Reject (busy)" })).ToBeVisibleAsync();
        await Assertions.Expect(phone.GetByRole(AriaRole.Button, new() { Name = "Hang up" })).ToBeHiddenAsync();
        await Assertions.Expect(counsellor.Locator(":scope > .controls .hangup")).ToBeVisibleAsync(); // the counsellor may hang up while it rings

        await phone.GetByRole(AriaRole.Button, new() { Name = "Answer" }).ClickAsync();
        await Assertions.Expect(phone.Locator(".state")).ToHaveTextAsync("Connected to the caller");
        await Assertions.Expect(counsellor.Locator(":scope > .state")).ToHaveTextAsync("Connected to the caller (in-progress)");
        await Assertions.Expect(phone.GetByRole(AriaRole.Button, new() { Name = "Answer" })).ToBeHiddenAsync();
        await Chromium.ScreenshotAsync(page, "call-simulator-callback");

        await phone.GetByRole(AriaRole.Button, new() { Name = "Hang up" }).ClickAsync();
        await Assertions.Expect(phone.Locator(".state")).ToHaveTextAsync("Ended (completed)");
        await Assertions.Expect(counsellor.Locator("> ol.heard")).ToContainTextAsync("say[en-US/man]: Callback completed");
        Assert.Equal([$"/dev/twilio/calls/{id}/outbound/1/legs/1/answer", $"/dev/twilio/calls/{id}/outbound/1/legs/1/hangup"], posted);
        Assert.DoesNotContain(callBack, await page.ContentAsync(), StringComparison.Ordinal);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using Hotline.Callbacks;
using Hotline.Functions.Callbacks;
using Hotline.Functions.Dev.CallFlow;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Callbacks;

/// <summary>
/// Callbacks from the counsellor's side, over real HTTP with the real app: asked for in the console during a
/// conversation, listed as mine when released to me, called through the hotline (the app asks Twilio's REST API to
/// ring my phone; the answered webhook dials the caller showing the hotline's number), outcomes, cancelling. The
/// caller's number appears only in the TwiML answered to Twilio: never in an API answer, a table or a log.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class ConsoleCallbackTests : IAsyncLifetime
{
    private const string Caller = "+40722123456";
    private const string CallerNational = "0722123456";
    private const string TypedNumber = "+40744555012";
    private const string TypedNational = "0744555012";
    private const string HotlineLine = TwilioWebhookClient.GeneralNumber;
    private const string IoanaPhone = "+447700900201";
    private const string MariaPhone = "+447700900202";
    private const string CodeWord = "lavender";

    private static readonly Counsellor[] Roster =
    [
        new("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 3) { Phone = StaffPhoneNumber.Parse(IoanaPhone) },
        new("maria", "Maria", ["uk"], OnCall: true, Capacity: 3) { Phone = StaffPhoneNumber.Parse(MariaPhone) },
    ];

    private readonly InMemoryCallbackSecrets _secrets = new();
    private readonly List<string> _answers = [];
    private RunningApp _app = null!;
    private TwilioApiDouble _twilio = null!;
    private SimulatedTwilio _voice = null!;

    public async Task InitializeAsync()
    {
        _twilio = await TwilioApiDouble.StartAsync();
        var settings = _twilio.AppSettings();
        // Released by hand here: the timer would hand requests to whoever routing picks, whenever it runs.
        settings["AzureWebJobs.CallbackRelease.Disabled"] = "true";
        _app = await RunningApp.StartWithRosterAsync(Roster, settings, configure: b => b.Services.AddSingleton<ICallbackSecrets>(_secrets));
        _voice = new SimulatedTwilio(_app.Http, new SimulatedCallOptions
        {
            PublicBase = new Uri(RunningApp.PublicBaseUrl),
            AuthToken = RunningApp.TwilioAuthToken,
            AccountSid = TwilioApiDouble.AccountSid,
        });
        _twilio.Voice = _voice;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _twilio.DisposeAsync();
    }

    private ICallbackStore Store => _app.Services.GetRequiredService<ICallbackStore>();

    /// <summary>Sends and keeps the answer's body for the number scan.</summary>
    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient client, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        lock (_answers)
        {
            _answers.Add($"{method} {path} → {(int)response.StatusCode} {text}");
        }

        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<(HttpClient Ioana, string ConversationId)> ConversationAsync() =>
        await AcceptedConversations.OfSmsAsync(_app, Caller, "ioana");

    private Task<(HttpStatusCode Status, JsonElement Body)> AskAsync(HttpClient client, string conversationId, object body) =>
        SendAsync(client, HttpMethod.Post, $"/api/conversations/{conversationId}/callbacks", body);

    private static object Ask(string source, string? number = TypedNumber, bool theirNumber = false, string when = "any time", bool mayLeaveMessage = false) =>
        new { number, theirNumber, when, mayLeaveMessage, codeWord = CodeWord, coverStory = CallbackSettings.DefaultCoverStories[1], source };

    /// <summary>What the timer does at a window's start, here to a counsellor of the test's choosing.</summary>
    private async Task ReleaseToAsync(string requestId, string counsellorId)
    {
        var request = (await Store.FindAsync(requestId))!;
        Assert.True(await Store.TryUpdateAsync(request with { Status = CallbackStatus.Released, ReleasedTo = counsellorId, ReleasedAt = DateTimeOffset.UtcNow }));
    }

    private async Task<string> AnsweredWebhookAsync(string requestId, string counsellorId, string to)
    {
        var url = CallbackCallFunctions.AnsweredUrl(new Uri(RunningApp.PublicBaseUrl), requestId, counsellorId);
        var client = new TwilioWebhookClient(_app, path: url.PathAndQuery);
        using var response = await client.PostAsync(new Dictionary<string, string>
        {
            ["CallSid"] = "CA" + Guid.NewGuid().ToString("N"), ["AccountSid"] = TwilioApiDouble.AccountSid, ["From"] = HotlineLine, ["To"] = to,
            ["CallStatus"] = "in-progress", ["Direction"] = "outbound-api", ["ApiVersion"] = "2010-04-01",
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task A_counsellor_asks_for_a_callback_on_a_typed_number_once_per_form_and_the_answer_holds_neither_number_nor_code_word()
    {
        var (ioana, id) = await ConversationAsync();

        var (status, made) = await AskAsync(ioana, id, Ask("form-1", number: "+40 744-555 012"));
        var (again, resent) = await AskAsync(ioana, id, Ask("form-1", number: "+40 744-555 012"));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (status, again));
        var requestId = made.GetProperty("id").GetString()!;
        Assert.Equal(requestId, resent.GetProperty("id").GetString()); // the resent form made nothing new
        var stored = (await Store.FindAsync(requestId))!;
        Assert.Equal((CallbackStatus.Waiting, "console", "ro", id), (stored.Status, stored.Channel, stored.Language, stored.ConversationId));
        Assert.Equal(CallbackSettings.DefaultCoverStories[1], stored.CoverStory);
        Assert.Equal(new CallbackSecrets(TypedNumber, CodeWord), await _secrets.ReadAsync(requestId));
        Assert.Single(_secrets.Stored);
        Assert.Equal(requestId, (await _app.Services.GetRequiredService<Hotline.Conversations.IConversationStore>().FindAsync(id))!.CallbackRequestId);
        Assert.Equal("waiting", made.GetProperty("status").GetString());
        Assert.DoesNotContain(CodeWord, made.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("coverStory", made.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_number_an_SMS_caller_texts_from_is_read_by_the_app_and_never_sent_to_the_page()
    {
        var (ioana, id) = await ConversationAsync();

        var (status, made) = await AskAsync(ioana, id, Ask("form-own", number: null, theirNumber: true, when: "after 8 pm"));

        Assert.Equal(HttpStatusCode.OK, status);
        var requestId = made.GetProperty("id").GetString()!;
        Assert.Equal(new CallbackSecrets(Caller, CodeWord), await _secrets.ReadAsync(requestId));
        // "After 8 pm": every window starts at 20:00 in the hotline's zone (UTC here), but one open already, which starts now.
        Assert.All((await Store.FindAsync(requestId))!.Windows, w => Assert.True(
            (w.Start.UtcDateTime.Hour, w.Start.Minute) == (20, 0) || w.Start <= DateTimeOffset.UtcNow, w.ToString()));
    }

    [Fact]
    public async Task Bad_input_is_refused_with_the_reason_and_someone_elses_conversation_is_not_found()
    {
        var (ioana, id) = await ConversationAsync();
        using var maria = await StaffTokens.ClientForAsync(_app, "maria", "counsellor");

        var (unread, why) = await AskAsync(ioana, id, Ask("bad-when", when: "when the moon is blue"));
        var (story, _) = await AskAsync(ioana, id, new { number = TypedNumber, when = "any time", coverStory = "An invented story", source = "bad-story" });
        var (noSource, _) = await AskAsync(ioana, id, new { number = TypedNumber, when = "any time" });
        var (badNumber, numberWhy) = await AskAsync(ioana, id, Ask("bad-number", number: "12345678901234567890"));
        var (notHers, _) = await AskAsync(maria, id, Ask("maria-form"));

        Assert.Equal(HttpStatusCode.BadRequest, unread);
        Assert.Contains("not understood", why.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (story, noSource, badNumber));
        Assert.DoesNotContain("1234567890", numberWhy.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, notHers);
        Assert.Empty(_secrets.Stored);
    }

    [Fact]
    public async Task Mine_lists_only_the_callbacks_released_to_me_without_code_word_or_cover_story()
    {
        var (ioana, id) = await ConversationAsync();
        using var maria = await StaffTokens.ClientForAsync(_app, "maria", "counsellor");
        var (_, made) = await AskAsync(ioana, id, Ask("form-mine", mayLeaveMessage: true));
        var requestId = made.GetProperty("id").GetString()!;

        var (_, beforeRelease) = await SendAsync(ioana, HttpMethod.Get, "/api/callbacks/mine");
        await ReleaseToAsync(requestId, "ioana");
        var (_, mine) = await SendAsync(ioana, HttpMethod.Get, "/api/callbacks/mine");
        var (_, marias) = await SendAsync(maria, HttpMethod.Get, "/api/callbacks/mine");

        Assert.Equal(0, beforeRelease.GetArrayLength());
        Assert.Equal(0, marias.GetArrayLength());
        var due = Assert.Single(mine.EnumerateArray());
        Assert.Equal((requestId, id, "ro", true, 0), (due.GetProperty("id").GetString(), due.GetProperty("conversationId").GetString(),
            due.GetProperty("language").GetString(), due.GetProperty("mayLeaveMessage").GetBoolean(), due.GetProperty("attempts").GetInt32()));
        Assert.True(due.GetProperty("until").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.False(string.IsNullOrEmpty(due.GetProperty("when").GetString()));
        Assert.DoesNotContain(CodeWord, mine.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(CallbackSettings.DefaultCoverStories[1], mine.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_now_rings_my_phone_from_the_hotline_number_and_shows_the_code_word_and_the_webhook_dials_the_caller_showing_the_same_number()
    {
        var (ioana, id) = await ConversationAsync();
        using var maria = await StaffTokens.ClientForAsync(_app, "maria", "counsellor");
        var (_, made) = await AskAsync(ioana, id, Ask("form-call", number: TypedNumber));
        var requestId = made.GetProperty("id").GetString()!;
        await ReleaseToAsync(requestId, "ioana");

        var (refused, why) = await SendAsync(maria, HttpMethod.Post, $"/api/callbacks/{requestId}/call");
        var (status, started) = await SendAsync(ioana, HttpMethod.Post, $"/api/callbacks/{requestId}/call");

        Assert.Equal(HttpStatusCode.Forbidden, refused);
        Assert.Contains("not released to you", why.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((CodeWord, CallbackSettings.DefaultCoverStories[1], false), (started.GetProperty("codeWord").GetString(),
            started.GetProperty("coverStory").GetString(), started.GetProperty("mayLeaveMessage").GetBoolean()));
        var phone = Assert.Single(_voice.Calls); // one REST call: to Ioana's phone, showing the line the caller texted
        Assert.Equal((IoanaPhone, HotlineLine), (phone.To, phone.From));
        Assert.Equal(CallbackCallFunctions.AnsweredUrl(new Uri(RunningApp.PublicBaseUrl), requestId, "ioana"), phone.Url);
        Assert.Equal(phone.CallSid, started.GetProperty("callSid").GetString());

        // Ioana answers: Twilio asks the app, which dials the caller's number showing the same hotline number.
        var twiml = XDocument.Parse(await AnsweredWebhookAsync(requestId, "ioana", IoanaPhone));
        var dial = twiml.Root!.Element("Dial")!;
        Assert.Equal(HotlineLine, dial.Attribute("callerId")!.Value);
        Assert.Equal(TypedNumber, dial.Element("Number")!.Value);
        Assert.Equal("30", dial.Attribute("timeout")!.Value);
        Assert.Equal($"{RunningApp.PublicBaseUrl}/api/twilio/voice/callback/dialed?r={requestId}", dial.Attribute("action")!.Value);
        Assert.Contains("code word is shown in your console", twiml.Root.Element("Say")!.Value, StringComparison.Ordinal);

        // The dial ended: a short word to the counsellor, and the call ends.
        var dialed = new TwilioWebhookClient(_app, path: $"/api/twilio/voice/callback/dialed?r={requestId}");
        using var end = await dialed.PostAsync(new Dictionary<string, string> { ["CallSid"] = phone.CallSid, ["DialCallStatus"] = "completed" });
        var ending = XDocument.Parse(await end.Content.ReadAsStringAsync()).Root!;
        Assert.NotNull(ending.Element("Hangup"));
        Assert.Null(ending.Element("Dial"));
    }

    [Fact]
    public async Task End_to_end_the_counsellors_phone_rings_is_answered_the_callers_phone_rings_showing_the_hotline_number_is_answered_and_the_outcome_is_recorded()
    {
        var (ioana, id) = await ConversationAsync();
        var (_, made) = await AskAsync(ioana, id, Ask("form-e2e", number: TypedNumber));
        var requestId = made.GetProperty("id").GetString()!;
        await ReleaseToAsync(requestId, "ioana");

        var (status, _) = await SendAsync(ioana, HttpMethod.Post, $"/api/callbacks/{requestId}/call");
        Assert.Equal(HttpStatusCode.OK, status);
        var phone = Assert.Single(_voice.Calls);
        Assert.Equal((IoanaPhone, HotlineLine, OutboundCallState.Ringing), (phone.To, phone.From, phone.State));

        await phone.AnswerAsync(); // Ioana picks up: the app's TwiML dials the caller
        Assert.Equal(OutboundCallState.Dialing, phone.State);
        Assert.Contains(phone.Heard, line => line.Contains("code word is shown in your console", StringComparison.Ordinal));
        var caller = Assert.Single(phone.Legs);
        Assert.Equal((TypedNumber, HotlineLine), (caller.Number, caller.CallerId)); // her phone shows the hotline's number

        await caller.AnswerAsync();
        Assert.Equal(OutboundCallState.Bridged, phone.State);
        await caller.HangUpAsync();
        await Eventually.TrueAsync(() => phone.State == OutboundCallState.Ended, "the counsellor's call to end after the dial");
        Assert.Contains(phone.Heard, line => line.Contains("The call has ended", StringComparison.Ordinal));

        var (recorded, closed) = await SendAsync(ioana, HttpMethod.Post, $"/api/callbacks/{requestId}/outcome", new { outcome = "reached" });
        Assert.Equal(HttpStatusCode.OK, recorded);
        Assert.Equal(("closed", "reached"), (closed.GetProperty("status").GetString(), closed.GetProperty("closedAs").GetString()));
        Assert.Null(await _secrets.ReadAsync(requestId));
    }

    [Fact]
    public async Task The_answered_webhook_dials_nobody_for_a_callback_not_released_to_that_counsellor_or_a_forged_signature()
    {
        var (ioana, id) = await ConversationAsync();
        var (_, made) = await AskAsync(ioana, id, Ask("form-webhook", number: TypedNumber));
        var requestId = made.GetProperty("id").GetString()!;

        var waiting = XDocument.Parse(await AnsweredWebhookAsync(requestId, "ioana", IoanaPhone)).Root!;
        await ReleaseToAsync(requestId, "maria");
        var someoneElses = XDocument.Parse(await AnsweredWebhookAsync(requestId, "ioana", IoanaPhone)).Root!;
        var forged = new TwilioWebhookClient(_app, authToken: "not-the-token", path: CallbackCallFunctions.AnsweredUrl(new Uri(RunningApp.PublicBaseUrl), requestId, "maria").PathAndQuery);
        using var forgedAnswer = await forged.PostAsync(new Dictionary<string, string> { ["CallSid"] = "CA" + Guid.NewGuid().ToString("N") });

        foreach (var refused in new[] { waiting, someoneElses })
        {
            Assert.NotNull(refused.Element("Hangup"));
            Assert.Null(refused.Element("Dial"));
        }

        Assert.Equal(HttpStatusCode.Forbidden, forgedAnswer.StatusCode);
        Assert.DoesNotContain(TypedNumber, await forgedAnswer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Outcomes_close_or_wait_refuse_a_message_not_allowed_and_only_the_counsellor_it_is_released_to_records_them()
    {
        var (ioana, id) = await ConversationAsync();
        using var maria = await StaffTokens.ClientForAsync(_app, "maria", "counsellor");
        var (_, made) = await AskAsync(ioana, id, Ask("form-outcome", mayLeaveMessage: false));
        var requestId = made.GetProperty("id").GetString()!;
        await ReleaseToAsync(requestId, "ioana");

        var (messageLeft, whyNot) = await SendAsync(ioana, HttpMethod.Post, $"/api/callbacks/{requestId}/outcome", new { outcome = "messageLeft" });
        var (unknown, _) = await SendAsync(ioana, HttpMethod.Post, $"/api/callbacks/{requestId}/outcome", new { outcome = "maybe" });
        var (notMaria, _) = await SendAsync(maria, HttpMethod.Post, $"/api/callbacks/{requestId}/outcome", new { outcome = "reached" });
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.Forbidden), (messageLeft, unknown, notMaria));
        Assert.Contains("did not agree to a message", whyNot.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty((await Store.FindAsync(requestId))!.Attempts);

        // No answer: an attempt, and the request waits for the next; its secrets stay.
        var (noAnswer, waiting) = await SendAsync(ioana, HttpMethod.Post, $"/api/callbacks/{requestId}/outcome", new { outcome = "noAnswer" });
        Assert.Equal(HttpStatusCode.OK, noAnswer);
        Assert.Equal(("waiting", 1), (waiting.GetProperty("status").GetString(), waiting.GetProperty("attempts").GetArrayLength()));
        Assert.NotNull(await _secrets.ReadAsync(requestId));
        var (again, _) = await SendAsync(ioana, HttpMethod.Post, $"/api/callbacks/{requestId}/outcome", new { outcome = "reached" });
        Assert.Equal(HttpStatusCode.Forbidden, again); // no longer released to her

        // Reached: closed, and the secrets destroyed.
        await ReleaseToAsync(requestId, "ioana");
        var (reached, closed) = await SendAsync(ioana, HttpMethod.Post, $"/api/callbacks/{requestId}/outcome", new { outcome = "reached" });
        Assert.Equal(HttpStatusCode.OK, reached);
        Assert.Equal(("closed", "reached"), (closed.GetProperty("status").GetString(), closed.GetProperty("closedAs").GetString()));
        Assert.Null(await _secrets.ReadAsync(requestId));
        Assert.Contains(requestId, _secrets.Destroyed);
    }

    [Fact]
    public async Task The_conversation_shows_its_callback_without_secrets_and_cancelling_destroys_them()
    {
        var (ioana, id) = await ConversationAsync();
        using var maria = await StaffTokens.ClientForAsync(_app, "maria", "counsellor");
        var (none, _) = await SendAsync(ioana, HttpMethod.Get, $"/api/conversations/{id}/callback");
        var (_, made) = await AskAsync(ioana, id, Ask("form-cancel"));
        var requestId = made.GetProperty("id").GetString()!;

        var (_, current) = await SendAsync(ioana, HttpMethod.Get, $"/api/conversations/{id}/callback");
        var (notMaria, _) = await SendAsync(maria, HttpMethod.Post, $"/api/callbacks/{requestId}/cancel");
        var (cancel, cancelled) = await SendAsync(ioana, HttpMethod.Post, $"/api/callbacks/{requestId}/cancel");

        Assert.Equal(HttpStatusCode.NoContent, none);
        Assert.Equal((requestId, "waiting", 0), (current.GetProperty("id").GetString(), current.GetProperty("status").GetString(), current.GetProperty("attempts").GetArrayLength()));
        Assert.DoesNotContain(CodeWord, current.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, notMaria);
        Assert.Equal(HttpStatusCode.OK, cancel);
        Assert.Equal(("closed", "cancelled"), (cancelled.GetProperty("status").GetString(), cancelled.GetProperty("closedAs").GetString()));
        Assert.Null(await _secrets.ReadAsync(requestId));
    }

    [Fact]
    public async Task No_answer_table_or_log_holds_the_callers_number_only_the_TwiML_to_Twilio_does()
    {
        var (ioana, id) = await ConversationAsync();
        var (_, own) = await AskAsync(ioana, id, Ask("scan-own", number: null, theirNumber: true));
        var (_, typed) = await AskAsync(ioana, id, Ask("scan-typed", number: "0040 744 555 012"));
        var requestId = typed.GetProperty("id").GetString()!;
        await ReleaseToAsync(requestId, "ioana");
        await SendAsync(ioana, HttpMethod.Get, "/api/callbacks/mine");
        await SendAsync(ioana, HttpMethod.Get, $"/api/conversations/{id}/callback");
        await SendAsync(ioana, HttpMethod.Get, $"/api/conversations/{id}");
        await SendAsync(ioana, HttpMethod.Post, $"/api/callbacks/{requestId}/call");
        var twiml = await AnsweredWebhookAsync(requestId, "ioana", IoanaPhone);
        await SendAsync(ioana, HttpMethod.Post, $"/api/callbacks/{requestId}/outcome", new { outcome = "wrongNumber" });
        Assert.NotEqual(own.GetProperty("id").GetString(), requestId);

        Assert.Contains(TypedNumber, twiml, StringComparison.Ordinal); // the one place it goes: to Twilio, to dial
        var stored = await StoredData.EverythingAsync(_app);
        var answers = string.Join('\n', _answers);
        var logs = _app.Logs.AllText + "\n" + _app.HostLogs.AllText;
        foreach (var form in StoredData.FormsOf(TypedNumber, TypedNational).Concat(StoredData.FormsOf(Caller, CallerNational)))
        {
            Assert.DoesNotContain(form, answers, StringComparison.Ordinal);
            Assert.DoesNotContain(form, logs, StringComparison.Ordinal);
        }

        foreach (var form in StoredData.FormsOf(TypedNumber, TypedNational).Concat(StoredData.FormsOf(Caller, CallerNational)))
        {
            Assert.DoesNotContain(form, stored, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(CodeWord, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(CodeWord, logs, StringComparison.Ordinal);
    }
}

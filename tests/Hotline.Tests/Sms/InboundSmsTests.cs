using System.Net;
using System.Net.Http.Json;
using System.Text;
using Azure.Storage.Queues;
using Hotline.Conversations;
using Hotline.Messaging;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Sms;

/// <summary>
/// Inbound SMS end to end on Azurite: the signed webhook, durable storage, language, the acknowledgement, and routing
/// through the queue-triggered function run by the local Functions host. One collection: these tests share the
/// product's routing queue, so they must not run at the same time.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class InboundSmsTests : IAsyncLifetime
{
    private const string Caller = "+40721234567";
    private RunningApp _app = null!;
    private TwilioWebhookClient _twilio = null!;

    public async Task InitializeAsync()
    {
        await new QueueClient(TestEnvironment.StorageConnectionString, QueueNames.ConversationsToRoute).ClearMessagesAsync().ContinueWith(_ => { });
        _app = await RunningApp.StartWithRosterAsync(
            [new("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 2), new("oksana", "Oksana", ["uk", "ru"], OnCall: true, Capacity: 2)],
            new Dictionary<string, string?> { ["Sms:Numbers"] = "+380441234567=uk" });
        _twilio = new TwilioWebhookClient(_app);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_Romanian_text_is_acknowledged_in_Romanian_and_offered_to_the_Romanian_speaker_not_the_Ukrainian_one()
    {
        var response = await _twilio.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor, patronul mi-a luat pașaportul");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("application/xml", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        var twiml = await response.Content.ReadAsStringAsync();
        var texts = _app.Services.GetRequiredService<CallerTexts>();
        var romanian = texts.Get("ro", CallerText.Acknowledgement, new Dictionary<string, string> { ["Language"] = "Română" });
        Assert.Contains($"<Message>{System.Security.SecurityElement.Escape(romanian)}</Message>", twiml, StringComparison.Ordinal);

        var conversation = await OfferedConversationAsync(Caller);
        Assert.Equal("ro", conversation.Language);
        Assert.Equal("ioana", conversation.AssignedTo);
        Assert.Contains(conversation.Hops, h => h.CounsellorId == "ioana" && h.Reason.StartsWith("offered", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_number_mapped_to_a_language_decides_the_language()
    {
        var response = await _twilio.SendSmsAsync(Caller, "hello, I need help", to: "+380 44 123 4567");

        Assert.Contains("Українська", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var conversation = await OfferedConversationAsync(Caller);
        Assert.Equal("uk", conversation.Language);
        Assert.Equal("oksana", conversation.AssignedTo);
    }

    [Fact]
    public async Task Switching_language_before_the_offer_is_accepted_reroutes_to_a_speaker_of_the_new_language()
    {
        await _twilio.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor, patronul mi-a luat pașaportul");
        var offered = await OfferedConversationAsync(Caller);
        Assert.Equal("ioana", offered.AssignedTo);

        var twiml = await (await _twilio.SendSmsAsync(Caller, "UK")).Content.ReadAsStringAsync();

        Assert.Contains("Українська", twiml, StringComparison.Ordinal);
        var rerouted = await Eventually.ReturnsAsync(async () =>
            await Store.FindAsync(offered.Id) is { Status: ConversationStatus.Offered, AssignedTo: "oksana" } c ? c : null, "the offer to Oksana");
        Assert.Equal("uk", rerouted.Language);
        Assert.Contains(rerouted.Hops, h => h.CounsellorId == "ioana" && h.Reason == "language changed to uk");
        var loads = await _app.Services.GetRequiredService<Hotline.Routing.ICounsellorLoads>().OpenCountsAsync();
        Assert.Equal(0, loads.GetValueOrDefault("ioana"));
        Assert.Equal(1, loads.GetValueOrDefault("oksana"));
    }

    [Fact]
    public async Task A_caller_still_linked_to_a_closed_conversation_starts_a_new_one_rather_than_writing_into_the_closed_one()
    {
        await _twilio.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");
        var first = await OfferedConversationAsync(Caller);
        // Closed, but the caller's link was never cleared (the unlinking failed after the close).
        Assert.True(await Store.TryUpdateAsync(first with { Status = ConversationStatus.Closed, ClosedAt = DateTimeOffset.UtcNow }));

        var twiml = await (await _twilio.SendSmsAsync(Caller, "Mai sunteți acolo? Am nevoie de ajutor")).Content.ReadAsStringAsync();

        Assert.Contains("<Message>", twiml, StringComparison.Ordinal); // acknowledged as a new conversation
        var second = await OfferedConversationAsync(Caller);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Single(await Store.MessagesAsync(first.Id));
        Assert.Single(await Store.MessagesAsync(second.Id));
    }

    [Fact]
    public async Task A_retried_webhook_stores_the_message_once_and_acknowledges_once()
    {
        var sid = TwilioWebhookClient.NewMessageSid();
        var first = await _twilio.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor", sid);
        var again = await _twilio.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor", sid);

        Assert.Contains("<Message>", await first.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.DoesNotContain("<Message>", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var conversation = await OfferedConversationAsync(Caller);
        var messages = await Store.MessagesAsync(conversation.Id);
        Assert.Single(messages);
        Assert.Equal("Bună ziua, am nevoie de ajutor", messages[0].Text.Reveal());
    }

    [Fact]
    public async Task Later_messages_join_the_open_conversation_without_a_new_acknowledgement()
    {
        await _twilio.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");
        var conversation = await OfferedConversationAsync(Caller);

        var second = await _twilio.SendSmsAsync(Caller, "Lucrez la o fermă lângă oraș");

        Assert.DoesNotContain("<Message>", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var messages = await Store.MessagesAsync(conversation.Id);
        Assert.Equal(["Bună ziua, am nevoie de ajutor", "Lucrez la o fermă lângă oraș"], messages.Select(m => m.Text.Reveal()));
        Assert.Equal("ioana", (await Store.FindAsync(conversation.Id))!.AssignedTo);
    }

    [Fact]
    public async Task The_language_can_be_switched_at_any_time_with_a_code()
    {
        await _twilio.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");
        var menu = await (await _twilio.SendSmsAsync(Caller, "LANG")).Content.ReadAsStringAsync();
        Assert.Contains("UK Українська", menu, StringComparison.Ordinal);

        var switched = await (await _twilio.SendSmsAsync(Caller, "uk")).Content.ReadAsStringAsync();

        Assert.Contains("Українська", switched, StringComparison.Ordinal);
        var conversation = await Store.FindAsync((await CallerRecordAsync(Caller))!.OpenConversationId!);
        Assert.Equal("uk", conversation!.Language);
    }

    [Fact]
    public async Task HELP_is_answered_in_the_callers_language_and_STOP_makes_the_caller_unreachable()
    {
        await _twilio.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");
        var texts = _app.Services.GetRequiredService<CallerTexts>();

        var help = await (await _twilio.SendSmsAsync(Caller, "help")).Content.ReadAsStringAsync();
        Assert.Contains(System.Security.SecurityElement.Escape(texts.Get("ro", CallerText.Help)), help, StringComparison.Ordinal);

        var stop = await (await _twilio.SendSmsAsync(Caller, "STOP")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("<Message>", stop, StringComparison.Ordinal); // Twilio itself confirms an opt-out
        var id = (await CallerRecordAsync(Caller))!.OpenConversationId!;
        Assert.False((await Store.FindAsync(id))!.Reachable);

        await _twilio.SendSmsAsync(Caller, "START");
        Assert.True((await Store.FindAsync(id))!.Reachable);
    }

    [Fact]
    public async Task With_nobody_on_call_the_caller_gets_the_out_of_hours_answer_in_their_language_and_can_ask_for_a_callback()
    {
        var roster = _app.Services.GetRequiredService<IRosterStore>();
        await roster.SetOnCallAsync("ioana", false);
        await roster.SetOnCallAsync("oksana", false);
        var texts = _app.Services.GetRequiredService<CallerTexts>();

        var twiml = await (await _twilio.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor urgent")).Content.ReadAsStringAsync();

        var outOfHours = texts.Get("ro", CallerText.OutOfHours, new Dictionary<string, string> { ["EmergencyNumber"] = "112" });
        Assert.Contains($"<Message>{System.Security.SecurityElement.Escape(outOfHours)}</Message>", twiml, StringComparison.Ordinal);
        Assert.Contains("CALLBACK", outOfHours, StringComparison.Ordinal);
        var record = await CallerRecordAsync(Caller);
        await Eventually.TrueAsync(async () => (await Store.FindAsync(record!.OpenConversationId!))!.Status == ConversationStatus.Waiting,
            "the conversation to wait for a counsellor");

        // As the answer says: CALLBACK. The caller is asked, in Romanian, which number to call; counsellors see the request.
        var callback = await (await _twilio.SendSmsAsync(Caller, "callback")).Content.ReadAsStringAsync();
        Assert.Contains($"<Message>{System.Security.SecurityElement.Escape(texts.Get("ro", CallerText.CallbackAskNumber))}</Message>", callback, StringComparison.Ordinal);
        var waiting = (await Store.FindAsync(record!.OpenConversationId!))!;
        Assert.NotNull(waiting.CallbackRequestedAt);
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        var listed = await sam.GetFromJsonAsync<System.Text.Json.JsonElement>(new Uri($"/api/conversations/{waiting.Id}", UriKind.Relative));
        Assert.Equal(System.Text.Json.JsonValueKind.String, listed.GetProperty("callbackRequestedAt").ValueKind);
    }

    [Fact]
    public async Task A_delete_keyword_also_erases_the_callers_closed_conversations()
    {
        await _twilio.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");
        var earlier = await OfferedConversationAsync(Caller);
        await _app.Services.GetRequiredService<ConversationCloser>().CloseAsync(earlier, "ioana", "done");
        await _twilio.SendSmsAsync(Caller, "Bună seara, tot eu, am o întrebare despre contract");
        var later = await Eventually.ReturnsAsync(async () => (await CallerRecordAsync(Caller))?.OpenConversationId, "the second conversation");
        Assert.NotEqual(earlier.Id, later);
        Assert.NotEmpty(await Store.MessagesAsync(earlier.Id));

        await _twilio.SendSmsAsync(Caller, "ȘTERGE");

        foreach (var id in new[] { earlier.Id, later })
        {
            Assert.Null(await Store.FindAsync(id));
            Assert.Empty(await Store.MessagesAsync(id));
        }

        Assert.Null(await CallerRecordAsync(Caller));
    }

    [Theory]
    [InlineData("ȘTERGE")]
    [InlineData("sterge")]
    [InlineData("DELETE")]
    public async Task A_delete_keyword_in_the_callers_language_erases_the_conversation_and_confirms(string keyword)
    {
        await _twilio.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");
        var conversation = await OfferedConversationAsync(Caller);

        var twiml = await (await _twilio.SendSmsAsync(Caller, keyword)).Content.ReadAsStringAsync();

        var texts = _app.Services.GetRequiredService<CallerTexts>();
        Assert.Contains(System.Security.SecurityElement.Escape(texts.Get("ro", CallerText.DeleteConfirmation)), twiml, StringComparison.Ordinal);
        Assert.Null(await Store.FindAsync(conversation.Id));
        Assert.Empty(await Store.MessagesAsync(conversation.Id));
        Assert.Null(await CallerRecordAsync(Caller));
        Assert.DoesNotContain(await Store.ListOpenAsync(), c => c.Id == conversation.Id);
        Assert.Equal(0, (await _app.Services.GetRequiredService<Hotline.Routing.ICounsellorLoads>().OpenCountsAsync()).GetValueOrDefault("ioana"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("bm90IHRoZSBzaWduYXR1cmU=")]
    public async Task A_missing_or_wrong_signature_is_403_and_nothing_is_stored(string signature)
    {
        var form = new Dictionary<string, string>
        {
            ["MessageSid"] = TwilioWebhookClient.NewMessageSid(), ["From"] = Caller, ["To"] = TwilioWebhookClient.GeneralNumber, ["Body"] = "forged",
        };

        var response = await _twilio.PostAsync(form, signature);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await CallerRecordAsync(Caller));
        Assert.Empty(await Store.ListOpenAsync());
    }

    [Fact]
    public async Task A_webhook_signed_with_another_token_is_403()
    {
        var forger = new TwilioWebhookClient(_app, authToken: "some-other-token");
        var response = await forger.SendSmsAsync(Caller, "hello");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await CallerRecordAsync(Caller));
    }

    [Fact]
    public async Task Bad_input_is_400_with_a_reason_and_nothing_is_stored()
    {
        var tooLong = await _twilio.SendSmsAsync(Caller, new string('a', 1601));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("1600", await tooLong.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var noSid = await _twilio.PostAsync(new Dictionary<string, string> { ["From"] = Caller, ["To"] = "+1", ["Body"] = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, noSid.StatusCode);
        Assert.Contains("MessageSid", await noSid.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Invalid UTF-8 (a lone continuation byte), correctly signed over what the bytes claim to be.
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/twilio/sms", UriKind.Relative))
        {
            Content = new StringContent($"MessageSid={TwilioWebhookClient.NewMessageSid()}&From=%2B40721234567&To=%2B1&Body=%80abc",
                Encoding.ASCII, "application/x-www-form-urlencoded"),
        };
        request.Headers.Add("X-Twilio-Signature", "irrelevant");
        var badUtf8 = await _app.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, badUtf8.StatusCode);
        Assert.Contains("UTF-8", await badUtf8.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Null(await CallerRecordAsync(Caller));
    }

    [Fact]
    public async Task The_callers_number_is_nowhere_in_plaintext_tables_queues_or_logs()
    {
        await _twilio.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");
        await OfferedConversationAsync(Caller);
        await _twilio.SendSmsAsync(Caller, "Mulțumesc");

        var forms = new[] { "+40721234567", "40721234567", "+40 721 234 567", "0721234567", "721234567", "721 234 567" };
        var everything = await StoredData.EverythingAsync(_app);
        Assert.True(everything.Length > 1000, "the scan saw the stored data");
        foreach (var form in forms)
        {
            Assert.DoesNotContain(form, everything, StringComparison.Ordinal);
        }
    }

    private IConversationStore Store => _app.Services.GetRequiredService<IConversationStore>();

    private async Task<CallerRecord?> CallerRecordAsync(string number)
    {
        var pseudonym = await _app.Services.GetRequiredService<CallerPseudonymizer>().PseudonymOfAsync(number);
        return await Store.FindCallerAsync(pseudonym);
    }

    private async Task<Conversation> OfferedConversationAsync(string number) =>
        await Eventually.ReturnsAsync(async () =>
        {
            var record = await CallerRecordAsync(number);
            var conversation = record?.OpenConversationId is { } id ? await Store.FindAsync(id) : null;
            return conversation is { Status: ConversationStatus.Offered } ? conversation : null;
        }, "the conversation to be offered to a counsellor");
}

/// <summary>
/// With <c>Twilio__AnswerOptOutKeywords</c> (for an account whose own opt-out replies are turned off), the hotline
/// answers STOP and START itself, in the caller's language, and sends nothing else after STOP.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class OptOutAnswerTests : IAsyncLifetime
{
    private const string Caller = "+40721234999";
    private RunningApp _app = null!;

    public async Task InitializeAsync() => _app = await RunningApp.StartWithRosterAsync(
        [new("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 2)],
        new Dictionary<string, string?> { ["Twilio:AnswerOptOutKeywords"] = "true" });

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task STOP_and_START_are_confirmed_in_the_callers_language_and_nothing_else_is_answered_in_between()
    {
        var twilio = new TwilioWebhookClient(_app);
        var texts = _app.Services.GetRequiredService<CallerTexts>();
        await twilio.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");

        var stop = await (await twilio.SendSmsAsync(Caller, "STOP")).Content.ReadAsStringAsync();
        Assert.Contains(System.Security.SecurityElement.Escape(texts.Get("ro", CallerText.StopConfirmation)), stop, StringComparison.Ordinal);
        var help = await (await twilio.SendSmsAsync(Caller, "HELP")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("<Message>", help, StringComparison.Ordinal);

        var start = await (await twilio.SendSmsAsync(Caller, "START")).Content.ReadAsStringAsync();
        Assert.Contains(System.Security.SecurityElement.Escape(texts.Get("ro", CallerText.StartConfirmation)), start, StringComparison.Ordinal);
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Conversations;
using Hotline.Escalations;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Escalations;

/// <summary>
/// A danger word in a caller's message raises an emergency quietly: the caller's answer does not change; the
/// conversation comes first for staff; the step is logged without personal data; the supervisor on duty gets an SMS.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class EmergencyRaisingTests : IAsyncLifetime
{
    private const string Caller = "+40724999111";
    private const string SupervisorPhone = "+40700000999";
    private TwilioApiDouble _twilio = null!;
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _twilio = await TwilioApiDouble.StartAsync();
        _app = await RunningApp.StartWithRosterAsync(
            [new Counsellor("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 3)],
            new Dictionary<string, string?>(_twilio.AppSettings())
            {
                ["Alerts:SupervisorNumbers"] = SupervisorPhone,
                ["Alerts:FromNumber"] = TwilioWebhookClient.GeneralNumber,
            });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _twilio.DisposeAsync();
    }

    [Fact]
    public async Task A_Romanian_danger_phrase_raises_an_emergency_the_caller_cannot_see_and_alerts_the_supervisor()
    {
        var twilio = new TwilioWebhookClient(_app);
        var ordinary = await (await twilio.SendSmsAsync("+40724999222", "Bună ziua, am o întrebare despre contract")).Content.ReadAsStringAsync();
        const string Danger = "Ajutor, m-au închis în depozit și nu pot ieși";

        var answer = await (await twilio.SendSmsAsync(Caller, Danger)).Content.ReadAsStringAsync();

        Assert.Equal(ordinary, answer); // exactly the answer anyone gets
        var store = _app.Services.GetRequiredService<IConversationStore>();
        var pseudonym = await _app.Services.GetRequiredService<CallerPseudonymizer>().PseudonymOfAsync(Caller);
        var conversation = (await store.FindAsync((await store.FindCallerAsync(pseudonym))!.OpenConversationId!))!;
        Assert.NotNull(conversation.EmergencyAt);
        Assert.StartsWith("e-", conversation.EscalationId, StringComparison.Ordinal);

        // First for staff.
        using var ioana = await StaffTokens.ClientForAsync(_app, "ioana", "counsellor");
        var list = await Eventually.ReturnsAsync(async () =>
        {
            var items = await ioana.GetFromJsonAsync<JsonElement>(new Uri("/api/conversations", UriKind.Relative));
            return items.GetArrayLength() == 2 ? (JsonElement?)items : null;
        }, "both conversations offered");
        Assert.Equal(conversation.Id, list!.Value[0].GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, list.Value[1].GetProperty("emergencyAt").ValueKind);
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        var board = await sam.GetFromJsonAsync<JsonElement>(new Uri("/api/board", UriKind.Relative));
        Assert.Equal(conversation.Id, Assert.Single(board.GetProperty("emergencies").EnumerateArray()).GetProperty("conversationId").GetString());

        // Logged, with ids only.
        var (entries, head) = await _app.Services.GetRequiredService<IEscalationLog>().ReadAsync();
        var raised = Assert.Single(entries);
        Assert.Equal((conversation.EscalationId, EscalationStep.Raised), (raised.EscalationId, raised.Step));
        Assert.Equal("danger-word: held-against-will", raised.Details["source"]); // the situation, not the words
        Assert.True(EscalationChain.Verify(entries, head).Intact);
        Assert.DoesNotContain("depozit", JsonSerializer.Serialize(entries), StringComparison.Ordinal);

        // The supervisor's phone gets an alert naming the conversation, not the caller or their words.
        // (The alerts queue is the product's, shared by every app of the tests: an earlier test's alert may come first.)
        var alert = await Eventually.ReturnsAsync(
            () => Task.FromResult(_twilio.Sent.FirstOrDefault(s => s.To == SupervisorPhone && s.Body.Contains(conversation.Id, StringComparison.Ordinal))),
            "the supervisor alert");
        Assert.Contains("held-against-will", alert.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("depozit", alert.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("724999111", alert.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(_twilio.Sent, s => s.To == Caller); // nothing extra reaches the caller

        // The caller's words and number are nowhere in plaintext: tables, queues (alerts included) or logs.
        var everything = await StoredData.EverythingAsync(_app);
        Assert.DoesNotContain("depozit", everything, StringComparison.Ordinal);
        Assert.All(StoredData.FormsOf(Caller, "0724999111"), form => Assert.DoesNotContain(form, everything, StringComparison.Ordinal));

        // A later danger message in the same conversation does not raise it twice.
        await twilio.SendSmsAsync(Caller, "m-au închis iar");
        Assert.Single((await _app.Services.GetRequiredService<IEscalationLog>().ReadAsync()).Entries);

        // Closing the conversation closes the escalation, as the last step of its log.
        (await sam.PostAsync(new Uri($"/api/conversations/{conversation.Id}/close", UriKind.Relative), null)).EnsureSuccessStatusCode();
        var log = await _app.Services.GetRequiredService<IEscalationLog>().ReadAsync();
        Assert.Equal([EscalationStep.Raised, EscalationStep.Closed], log.Entries.Select(e => e.Step));
        Assert.Equal("sam", log.Entries[^1].Actor);
    }

    [Fact]
    public async Task An_emergency_marked_but_never_announced_is_announced_when_the_message_is_redelivered()
    {
        // The state a delivery leaves when it dies after storing the marked conversation, before the alert and log.
        var store = _app.Services.GetRequiredService<IConversationStore>();
        var pseudonym = await _app.Services.GetRequiredService<CallerPseudonymizer>().PseudonymOfAsync(Caller);
        var id = ConversationIds.New();
        var escalationId = EscalationIds.New();
        var now = DateTimeOffset.UtcNow;
        await store.LinkCallerAsync(pseudonym, id, "ro", null);
        var sid = TwilioWebhookClient.NewMessageSid();
        await store.CreateAsync(
            new Conversation { Id = id, Channel = Channels.Sms, Language = "ro", CallerPseudonym = pseudonym, CreatedAt = now, LastMessageAt = now, EmergencyAt = now, EscalationId = escalationId },
            new ConversationMessage("m1", MessageDirection.Inbound, new SensitiveText("m-au închis"), now), sid);

        // Twilio redelivers the same message.
        await new TwilioWebhookClient(_app).SendSmsAsync(Caller, "m-au închis", sid);

        Assert.NotNull(await _app.Services.GetRequiredService<IEscalationStore>().FindAsync(escalationId));
        Assert.Contains((await _app.Services.GetRequiredService<IEscalationLog>().ReadAsync()).Entries, e => e.EscalationId == escalationId && e.Step == EscalationStep.Raised);
        await Eventually.TrueAsync(() => _twilio.Sent.Any(s => s.To == SupervisorPhone && s.Body.Contains(id, StringComparison.Ordinal)), "the supervisor alert");
        Assert.Single(await store.MessagesAsync(id)); // still stored once
    }

    [Fact]
    public async Task A_danger_phrase_in_a_later_message_raises_the_open_conversation()
    {
        var twilio = new TwilioWebhookClient(_app);
        await twilio.SendSmsAsync(Caller, "Bună ziua, am o întrebare");
        await twilio.SendSmsAsync(Caller, "acum m-au închis în cameră");

        var store = _app.Services.GetRequiredService<IConversationStore>();
        var pseudonym = await _app.Services.GetRequiredService<CallerPseudonymizer>().PseudonymOfAsync(Caller);
        var conversation = (await store.FindAsync((await store.FindCallerAsync(pseudonym))!.OpenConversationId!))!;
        Assert.NotNull(conversation.EscalationId);
        Assert.Equal(2, (await store.MessagesAsync(conversation.Id)).Count);
        await Eventually.TrueAsync(() => _twilio.Sent.Any(s => s.To == SupervisorPhone && s.Body.Contains(conversation.Id, StringComparison.Ordinal)), "the supervisor alert");
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using Hotline.Conversations;
using Hotline.Messaging;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Sms;

/// <summary>
/// A counsellor's reply reaches the caller's phone through the queue-triggered SendSms and a loopback double of
/// Twilio's REST API: right fields, Basic auth, once; STOP (21610) and throttling (429) handled.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class OutboundSmsTests : IAsyncLifetime
{
    private const string Caller = "+40723555666";
    private TwilioApiDouble _twilio = null!;
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _twilio = await TwilioApiDouble.StartAsync();
        _app = await RunningApp.StartWithRosterAsync(
            [new("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 3)],
            _twilio.AppSettings());
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _twilio.DisposeAsync();
    }

    [Fact]
    public async Task A_reply_is_sent_once_to_the_callers_number_from_the_hotline_number_with_basic_auth()
    {
        var (ioana, id) = await AcceptedConversationAsync();

        await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "Bună, sunt Ioana. Sunteți în siguranță?" });

        var sent = await Eventually.ReturnsAsync(() => Task.FromResult(_twilio.Sent.FirstOrDefault()), "the SMS to reach Twilio");
        Assert.Equal(Caller, sent.To);
        Assert.Equal(TwilioWebhookClient.GeneralNumber, sent.From);
        Assert.Equal("Bună, sunt Ioana. Sunteți în siguranță?", sent.Body);
        await Eventually.TrueAsync(async () => await DeliveryStatusAsync(ioana, id) == "sent", "the reply to show as sent");
        Assert.Single(_twilio.Sent);
        Assert.Equal(1, _twilio.Attempts);
    }

    [Fact]
    public async Task After_a_full_exchange_the_callers_number_is_nowhere_in_plaintext_tables_queues_or_logs()
    {
        var (ioana, id) = await AcceptedConversationAsync();
        await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "Bună, sunt Ioana." });
        await Eventually.TrueAsync(async () => await DeliveryStatusAsync(ioana, id) == "sent", "the reply to go out");
        (await ioana.PostAsync(Api($"conversations/{id}/close"), null)).EnsureSuccessStatusCode();

        var everything = await StoredData.EverythingAsync(_app);

        Assert.True(everything.Length > 1000, "the scan saw the stored data");
        Assert.Equal(Caller, _twilio.Sent.Single().To); // it did reach the phone, through Twilio only
        foreach (var form in StoredData.FormsOf(Caller, "0723555666"))
        {
            Assert.DoesNotContain(form, everything, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_caller_who_sent_STOP_is_marked_unreachable_and_the_counsellor_is_told()
    {
        var (ioana, id) = await AcceptedConversationAsync();
        _twilio.OptedOut[Caller] = true;

        await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "Mai sunteți acolo?" });

        await Eventually.TrueAsync(async () => await DeliveryStatusAsync(ioana, id) == "unreachable", "the reply to show as unreachable");
        var detail = await ioana.GetFromJsonAsync<JsonElement>(Api($"conversations/{id}"));
        Assert.False(detail.GetProperty("reachable").GetBoolean());
        var again = await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "?" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("STOP", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(_twilio.Sent);
    }

    [Fact]
    public async Task Throttling_is_retried_with_back_off_and_the_message_still_goes_out_once()
    {
        var (ioana, id) = await AcceptedConversationAsync();
        _twilio.AnswerNextWith(429, 429);

        await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "Vă sun mâine?" });

        await Eventually.TrueAsync(async () => await DeliveryStatusAsync(ioana, id) == "sent", "the reply to go out after throttling");
        Assert.Single(_twilio.Sent);
        Assert.Equal(3, _twilio.Attempts);
    }

    [Fact]
    public async Task A_redelivered_request_after_an_interrupted_send_is_reconciled_not_sent_twice()
    {
        var (ioana, id) = await AcceptedConversationAsync();
        var store = _app.Services.GetRequiredService<IConversationStore>();
        _twilio.OptedOut[Caller] = true; // keep SendSms from sending the first time; we simulate the interruption below
        await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "Mesaj de test" });
        await Eventually.TrueAsync(async () => await DeliveryStatusAsync(ioana, id) == "unreachable", "the first attempt");
        _twilio.OptedOut.Clear();

        // The state an attempt leaves when it dies right after Twilio accepted the message.
        var message = (await store.MessagesAsync(id)).Single(m => m.Direction == MessageDirection.Outbound);
        await store.UpdateDeliveryAsync(id, message, DeliveryStatuses.Sending, null);
        _twilio.AlreadySent(Caller, TwilioWebhookClient.GeneralNumber, "Mesaj de test");
        var conversation = (await store.FindAsync(id))!;
        await store.TryUpdateAsync(conversation with { Reachable = true });

        await _app.Services.GetRequiredService<OutboundMessageDispatcher>()
            .DispatchAsync(new OutboundRequest(id, message.Id, message.At.UtcTicks));

        Assert.Equal("sent", await DeliveryStatusAsync(ioana, id));
        Assert.Single(_twilio.Sent);
    }

    [Fact]
    public async Task A_redelivered_request_does_not_take_an_identical_reply_sent_earlier_that_day_for_this_one()
    {
        var (ioana, id) = await AcceptedConversationAsync();
        var store = _app.Services.GetRequiredService<IConversationStore>();
        _twilio.OptedOut[Caller] = true; // keep SendSms from sending; the interruption is set up below
        await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "OK" });
        await Eventually.TrueAsync(async () => await DeliveryStatusAsync(ioana, id) == "unreachable", "the first attempt");
        _twilio.OptedOut.Clear();

        // An attempt died before reaching Twilio; the same words went to the same phone two hours earlier.
        var message = (await store.MessagesAsync(id)).Single(m => m.Direction == MessageDirection.Outbound);
        await store.UpdateDeliveryAsync(id, message, DeliveryStatuses.Sending, null);
        await store.TryUpdateAsync((await store.FindAsync(id))! with { Reachable = true });
        _twilio.AlreadySent(Caller, TwilioWebhookClient.GeneralNumber, "OK", at: DateTimeOffset.UtcNow.AddHours(-2));

        await _app.Services.GetRequiredService<OutboundMessageDispatcher>()
            .DispatchAsync(new OutboundRequest(id, message.Id, message.At.UtcTicks));

        Assert.Equal("sent", await DeliveryStatusAsync(ioana, id));
        Assert.Equal(2, _twilio.Sent.Count(s => s.Body == "OK"));
    }

    [Fact]
    public async Task An_attempt_that_dies_between_learning_of_STOP_and_recording_it_is_finished_by_the_redelivery()
    {
        var (ioana, id) = await AcceptedConversationAsync();
        var store = _app.Services.GetRequiredService<IConversationStore>();
        _twilio.OptedOut[Caller] = true;
        await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "Mesaj de test" });
        await Eventually.TrueAsync(async () => await DeliveryStatusAsync(ioana, id) == "unreachable", "the first attempt");

        // Back to the state before the attempt recorded anything about STOP, then an attempt whose store fails the
        // moment it marks the conversation unreachable, as a process that dies there would.
        var message = (await store.MessagesAsync(id)).Single(m => m.Direction == MessageDirection.Outbound);
        await store.UpdateDeliveryAsync(id, message, DeliveryStatuses.Sending, null);
        await store.TryUpdateAsync((await store.FindAsync(id))! with { Reachable = true });
        var request = new OutboundRequest(id, message.Id, message.At.UtcTicks);
        var sender = _app.Services.GetRequiredService<ISmsSender>();
        var addresses = _app.Services.GetRequiredService<ReplyAddressProtector>();
        var dying = new OutboundMessageDispatcher(FailingWhenMarkedUnreachable.Wrap(store), sender, addresses);
        await Assert.ThrowsAsync<IOException>(() => dying.DispatchAsync(request));

        await new OutboundMessageDispatcher(store, sender, addresses).DispatchAsync(request); // the queue's redelivery

        Assert.False((await store.FindAsync(id))!.Reachable);
        Assert.Equal("unreachable", await DeliveryStatusAsync(ioana, id));
        Assert.Empty(_twilio.Sent);
    }

    /// <summary>The real store, except that saving a conversation as unreachable fails.</summary>
    public class FailingWhenMarkedUnreachable : DispatchProxy
    {
        private IConversationStore _inner = null!;

        public static IConversationStore Wrap(IConversationStore inner)
        {
            var proxy = Create<IConversationStore, FailingWhenMarkedUnreachable>();
            ((FailingWhenMarkedUnreachable)(object)proxy)._inner = inner;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? method, object?[]? args) =>
            method!.Name == nameof(IConversationStore.TryUpdateAsync) && args![0] is Conversation { Reachable: false }
                ? throw new IOException("The process died here.")
                : method.Invoke(_inner, args);
    }

    private Task<(HttpClient Counsellor, string Id)> AcceptedConversationAsync() => AcceptedConversations.OfSmsAsync(_app, Caller);

    private static Task<string?> DeliveryStatusAsync(HttpClient client, string id) => AcceptedConversations.LastReplyStatusAsync(client, id);

    private static Uri Api(string path) => new("/api/" + path, UriKind.Relative);
}

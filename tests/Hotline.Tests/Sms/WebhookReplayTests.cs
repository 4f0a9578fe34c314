using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Queues;
using Hotline.Conversations;
using Hotline.Messaging;
using Hotline.Privacy;
using Hotline.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Hotline.Tests.Sms;

/// <summary>
/// A signed webhook sent again later (a replay, or Twilio retrying) is recognised by its <c>MessageSid</c> whatever
/// happened since: after the caller erased their data, after the conversation closed. It is answered like a duplicate
/// (an empty TwiML answer) and nothing is stored. The record of it names neither the caller nor the message, and is
/// forgotten by the <c>PurgeReplyAddresses</c> timer once <see cref="ConversationRetention.ProcessedMessageMemory"/> has passed.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class WebhookReplayTests : IAsyncLifetime
{
    private const string Caller = "+40721230456";
    private const string Text = "Bună ziua, am nevoie de ajutor, patronul mi-a luat pașaportul";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private RunningApp _app = null!;
    private TwilioWebhookClient _twilio = null!;

    public async Task InitializeAsync()
    {
        await new QueueClient(TestEnvironment.StorageConnectionString, QueueNames.ConversationsToRoute).ClearMessagesAsync().ContinueWith(_ => { });
        _app = await RunningApp.StartWithRosterAsync(
            [new("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 2)], configure: b => b.Services.AddSingleton<TimeProvider>(_clock));
        _twilio = new TwilioWebhookClient(_app);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_webhook_replayed_after_the_callers_erasure_is_answered_as_a_duplicate_and_brings_nothing_back()
    {
        var sid = TwilioWebhookClient.NewMessageSid();
        Assert.Contains("<Message>", await (await _twilio.SendSmsAsync(Caller, Text, sid)).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var erased = await OpenConversationAsync();
        await _twilio.SendSmsAsync(Caller, "ȘTERGE");
        Assert.Null(await CallerRecordAsync());

        var replay = await _twilio.SendSmsAsync(Caller, Text, sid);

        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.DoesNotContain("<Message>", await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(await CallerRecordAsync());
        Assert.Empty(await Store.ListOpenAsync());
        Assert.Null(await Store.FindAsync(erased.Id));
        // The record that recognised it holds neither the caller's number nor the message id, nor their words.
        var everything = await StoredData.EverythingAsync(_app);
        Assert.DoesNotContain(sid, everything, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("721230456", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("pașaportul", everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replayed_delete_request_does_not_erase_what_the_caller_wrote_since()
    {
        await _twilio.SendSmsAsync(Caller, Text);
        await OpenConversationAsync();
        var deleteSid = TwilioWebhookClient.NewMessageSid();
        await _twilio.SendSmsAsync(Caller, "ȘTERGE", deleteSid);
        await _twilio.SendSmsAsync(Caller, "Bună seara, tot eu, am o întrebare despre contract");
        var later = await OpenConversationAsync();

        var replay = await _twilio.SendSmsAsync(Caller, "ȘTERGE", deleteSid);

        Assert.DoesNotContain("<Message>", await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(later.Id, (await CallerRecordAsync())?.OpenConversationId);
        Assert.Equal(["Bună seara, tot eu, am o întrebare despre contract"], (await Store.MessagesAsync(later.Id)).Select(m => m.Text.Reveal()));
    }

    [Fact]
    public async Task A_webhook_replayed_after_the_conversation_closed_starts_no_new_conversation()
    {
        var sid = TwilioWebhookClient.NewMessageSid();
        await _twilio.SendSmsAsync(Caller, Text, sid);
        var closed = await OpenConversationAsync();
        await _app.Services.GetRequiredService<ConversationCloser>().CloseAsync(closed, "ioana", "done");

        var replay = await _twilio.SendSmsAsync(Caller, Text, sid);

        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.DoesNotContain("<Message>", await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null((await CallerRecordAsync())!.OpenConversationId);
        Assert.Empty(await Store.ListOpenAsync());
        Assert.Single(await Store.MessagesAsync(closed.Id));
    }

    [Fact]
    public async Task The_purge_timer_forgets_markers_once_they_are_older_than_the_memory_and_not_before()
    {
        var start = _clock.GetUtcNow();
        await Store.RememberProcessedAsync("older", start);
        await Store.RememberProcessedAsync("newer", start + TimeSpan.FromDays(1));

        _clock.SetUtcNow(start + ConversationRetention.ProcessedMessageMemory - TimeSpan.FromSeconds(1));
        await RunPurgeAsync();
        Assert.True(await Store.WasProcessedAsync("older"));

        _clock.SetUtcNow(start + ConversationRetention.ProcessedMessageMemory + TimeSpan.FromSeconds(1));
        await RunPurgeAsync();
        Assert.False(await Store.WasProcessedAsync("older"));
        Assert.True(await Store.WasProcessedAsync("newer"));
        Assert.Equal(TimeSpan.FromDays(7), ConversationRetention.ProcessedMessageMemory);
    }

    private IConversationStore Store => _app.Services.GetRequiredService<IConversationStore>();

    private async Task<CallerRecord?> CallerRecordAsync()
    {
        var pseudonym = await _app.Services.GetRequiredService<CallerPseudonymizer>().PseudonymOfAsync(Caller);
        return await Store.FindCallerAsync(pseudonym);
    }

    private async Task<Conversation> OpenConversationAsync() =>
        await Eventually.ReturnsAsync(async () =>
            (await CallerRecordAsync())?.OpenConversationId is { } id && await Store.FindAsync(id) is { IsOpen: true } c ? c : null,
            "the caller's open conversation");

    // The timer run now, as the Functions host would run it on its schedule.
    private async Task RunPurgeAsync()
    {
        await _app.Host.RunTimerAsync("PurgeReplyAddresses");
    }
}

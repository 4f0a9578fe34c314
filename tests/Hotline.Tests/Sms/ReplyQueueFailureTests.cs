using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Conversations;
using Hotline.Messaging;
using Hotline.Storage;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Sms;

/// <summary>A reply that cannot be queued is shown as failed, never left looking queued with nothing to send it.</summary>
[Collection(SmsCollection.Name)]
public sealed class ReplyQueueFailureTests
{
    [Fact]
    public async Task A_reply_the_queue_refused_is_marked_failed_and_the_counsellor_told_to_send_again()
    {
        var outboundDown = new OutboundQueueSwitch();
        await using var app = await RunningApp.StartAsync(
            new Dictionary<string, string?> { ["LocalFunctionsHost:Enabled"] = "false" },
            configure: b => b.Services.AddSingleton<IWorkQueue>(sp => new SwitchableQueue(new StorageWorkQueue(sp.GetRequiredService<StorageAccount>()), outboundDown)));
        await app.Services.GetRequiredService<Hotline.Roster.IRosterStore>().SaveAsync(new("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 2));
        await OpenConsoles.PollAsync(app, "ioana");
        await new TwilioWebhookClient(app).SendSmsAsync("+40722000444", "Bună ziua, am nevoie de ajutor");
        var store = app.Services.GetRequiredService<IConversationStore>();
        var offered = await Eventually.ReturnsAsync(async () =>
            (await store.ListOpenAsync("ioana")).FirstOrDefault(c => c.Status == ConversationStatus.Offered), "the offer");
        using var ioana = await StaffTokens.ClientForAsync(app, "ioana", "counsellor");
        (await ioana.PostAsync(new Uri($"/api/conversations/{offered.Id}/accept", UriKind.Relative), null)).EnsureSuccessStatusCode();

        outboundDown.Down = true;
        var reply = await ioana.PostAsJsonAsync(new Uri($"/api/conversations/{offered.Id}/messages", UriKind.Relative), new { text = "Sunteți în siguranță?" });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, reply.StatusCode);
        Assert.Contains("send it again", await reply.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        var detail = await ioana.GetFromJsonAsync<JsonElement>(new Uri($"/api/conversations/{offered.Id}", UriKind.Relative));
        var sent = detail.GetProperty("messages").EnumerateArray().Single(m => m.GetProperty("direction").GetString() == "out");
        Assert.StartsWith("failed", sent.GetProperty("deliveryStatus").GetString(), StringComparison.Ordinal);
    }

    private sealed class OutboundQueueSwitch
    {
        public volatile bool Down;
    }

    /// <summary>The real queue, except that sending replies fails while the switch is down (an outage).</summary>
    private sealed class SwitchableQueue(IWorkQueue inner, OutboundQueueSwitch outbound) : IWorkQueue
    {
        public Task EnqueueAsync<T>(string queueName, T message, TimeSpan visibleAfter, CancellationToken cancellationToken = default) =>
            outbound.Down && queueName == QueueNames.SmsOutbound
                ? throw new Azure.RequestFailedException(503, "The queue service is unavailable.")
                : inner.EnqueueAsync(queueName, message, visibleAfter, cancellationToken);
    }
}

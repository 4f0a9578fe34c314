using Azure.Storage.Queues;
using Hotline.Conversations;
using Hotline.Messaging;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Sms;

/// <summary>
/// How a new conversation reaches the router: in-process at once after the caller was answered, with a delayed
/// queued request as the durable fallback; or, with immediate routing off, through the queue alone.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class RoutingPathTests : IAsyncLifetime
{
    private const string Caller = "+40721234567";
    private static readonly Counsellor Ioana = new("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 2);
    private readonly QueueClient _routeQueue = new(TestEnvironment.StorageConnectionString, QueueNames.ConversationsToRoute);

    public async Task InitializeAsync()
    {
        await _routeQueue.CreateIfNotExistsAsync();
        await _routeQueue.ClearMessagesAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Without_any_queue_consumer_a_new_conversation_is_offered_at_once_and_its_delayed_fallback_request_is_withdrawn()
    {
        // The local Functions host is off: nothing reads the queue, so only the in-process router can offer it.
        var queued = new List<QueuedMessage>();
        await using var app = await RunningApp.StartWithRosterAsync([Ioana], new Dictionary<string, string?> { ["LocalFunctionsHost:Enabled"] = "false" },
            configure: b => b.Services.AddSingleton<IWorkQueue>(sp => new NoticingQueue(new Hotline.Storage.StorageWorkQueue(sp.GetRequiredService<Hotline.Storage.StorageAccount>()), queued)));

        await new TwilioWebhookClient(app).SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");

        var conversation = await OfferedAsync(app, within: TimeSpan.FromSeconds(5));
        Assert.Equal("ioana", conversation.AssignedTo);
        // The fallback was queued invisible (so it could not race the in-process attempt), and is withdrawn once
        // the conversation is routed: nothing is left to route it a second time.
        var fallback = Assert.Single(queued);
        Assert.Equal(QueueNames.ConversationsToRoute, fallback.QueueName);
        await Eventually.TrueAsync(async () => (await _routeQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, "the fallback withdrawn");
        var gone = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => _routeQueue.UpdateMessageAsync(fallback.MessageId, fallback.PopReceipt, visibilityTimeout: TimeSpan.Zero));
        Assert.Equal(404, gone.Status);
    }

    /// <summary>The real queue, noting each withdrawable message it is given.</summary>
    private sealed class NoticingQueue(IWorkQueue inner, List<QueuedMessage> queued) : IWorkQueue
    {
        public Task EnqueueAsync<T>(string queueName, T message, TimeSpan visibleAfter, CancellationToken cancellationToken = default) =>
            inner.EnqueueAsync(queueName, message, visibleAfter, cancellationToken);

        public async Task<QueuedMessage?> EnqueueWithdrawableAsync<T>(string queueName, T message, TimeSpan visibleAfter, CancellationToken cancellationToken = default)
        {
            var sent = await inner.EnqueueWithdrawableAsync(queueName, message, visibleAfter, cancellationToken);
            lock (queued)
            {
                queued.Add(sent!);
            }

            return sent;
        }

        public Task WithdrawAsync(QueuedMessage message, CancellationToken cancellationToken = default) => inner.WithdrawAsync(message, cancellationToken);
    }

    [Fact]
    public async Task With_immediate_routing_off_the_request_is_visible_at_once_and_the_queue_routes_it()
    {
        await using (var idle = await RunningApp.StartWithRosterAsync([Ioana], new Dictionary<string, string?>
        {
            ["LocalFunctionsHost:Enabled"] = "false", ["Routing:Immediate"] = "false",
        }))
        {
            await new TwilioWebhookClient(idle).SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");
            await Eventually.TrueAsync(async () => (await _routeQueue.PeekMessagesAsync()).Value.Length == 1, "a visible routing request");
            await Task.Delay(1000);
            var caller = await idle.Services.GetRequiredService<IConversationStore>().FindCallerAsync(await PseudonymAsync(idle));
            var waiting = await idle.Services.GetRequiredService<IConversationStore>().FindAsync(caller!.OpenConversationId!);
            Assert.Equal(ConversationStatus.New, waiting!.Status); // nobody routed it in-process
        }

        await _routeQueue.ClearMessagesAsync();
        await using var app = await RunningApp.StartWithRosterAsync([Ioana], new Dictionary<string, string?> { ["Routing:Immediate"] = "false" });
        await new TwilioWebhookClient(app).SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");
        Assert.Equal("ioana", (await OfferedAsync(app, within: TimeSpan.FromSeconds(30))).AssignedTo);
    }

    private static async Task<string> PseudonymAsync(RunningApp app) =>
        await app.Services.GetRequiredService<CallerPseudonymizer>().PseudonymOfAsync(Caller);

    private static async Task<Conversation> OfferedAsync(RunningApp app, TimeSpan within)
    {
        var store = app.Services.GetRequiredService<IConversationStore>();
        var pseudonym = await PseudonymAsync(app);
        return await Eventually.ReturnsAsync(async () =>
            await store.FindCallerAsync(pseudonym) is { OpenConversationId: { } id }
            && await store.FindAsync(id) is { Status: ConversationStatus.Offered } offered ? offered : null,
            "the offer", within);
    }
}

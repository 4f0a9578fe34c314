using Hotline.Conversations;
using Hotline.Functions.Hosting;
using Hotline.Messaging;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Routing;

/// <summary>Queue <c>conversations-to-route</c>: finds a counsellor for a new or waiting conversation.</summary>
public sealed class RouteConversationFunction(ConversationAssigner assigner)
{
    [Function("RouteConversation")]
    public Task Run([QueueTrigger(QueueNames.ConversationsToRoute)] string text, CancellationToken cancellationToken)
    {
        var message = QueueMessage.Read<RouteRequest>(text, "RouteConversation");
        if (!ConversationIds.IsValid(message.ConversationId))
        {
            throw new InvalidQueueMessageException("RouteConversation: not a conversation id.");
        }

        return assigner.AssignAsync(message.ConversationId, cancellationToken);
    }
}

/// <summary>Timer: offers nobody accepted in time go to the next counsellor; waiting conversations are tried again.</summary>
public sealed class RerouteStaleFunction(ConversationAssigner assigner)
{
    [Function("RerouteStale")]
    public Task Run([TimerTrigger("*/15 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        assigner.RerouteStaleAsync(cancellationToken);
}

/// <summary>
/// Timer: deletes the encrypted reply address of conversations closed longer ago than the grace period, and forgets
/// the markers of inbound messages taken in longer ago than <see cref="ConversationRetention.ProcessedMessageMemory"/>.
/// </summary>
public sealed class PurgeReplyAddressesFunction(IConversationStore store, TimeProvider time)
{
    [Function("PurgeReplyAddresses")]
    public async Task Run([TimerTrigger("0 */10 * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        foreach (var id in await store.DueForReplyAddressPurgeAsync(time.GetUtcNow(), cancellationToken))
        {
            await store.PurgeReplyAddressAsync(id, cancellationToken);
        }

        await store.ForgetProcessedBeforeAsync(time.GetUtcNow() - ConversationRetention.ProcessedMessageMemory, cancellationToken);
    }
}

using Hotline.Conversations;
using Hotline.Functions.Hosting;
using Hotline.Messaging;

namespace Hotline.Functions.Routing;

/// <summary>Queue <c>conversations-to-route</c>: finds a counsellor for a new or waiting conversation.</summary>
public sealed class RouteConversationFunction(ConversationAssigner assigner) : QueueFunction<RouteRequest>
{
    public override string Name => "RouteConversation";

    protected override Task HandleAsync(RouteRequest message, QueueMessageInfo info, CancellationToken cancellationToken)
    {
        if (!ConversationIds.IsValid(message.ConversationId))
        {
            throw new InvalidInvocationException("RouteConversation: not a conversation id.");
        }

        return assigner.AssignAsync(message.ConversationId, cancellationToken);
    }
}

/// <summary>Timer: offers nobody accepted in time go to the next counsellor; waiting conversations are tried again.</summary>
public sealed class RerouteStaleFunction(ConversationAssigner assigner) : TimerFunction
{
    public override string Name => "RerouteStale";

    protected override Task HandleAsync(TimerInfo timer, CancellationToken cancellationToken) =>
        assigner.RerouteStaleAsync(cancellationToken);
}

/// <summary>
/// Timer: deletes the encrypted reply address of conversations closed longer ago than the grace period, and forgets
/// the markers of inbound messages taken in longer ago than <see cref="ConversationRetention.ProcessedMessageMemory"/>.
/// </summary>
public sealed class PurgeReplyAddressesFunction(IConversationStore store, TimeProvider time) : TimerFunction
{
    public override string Name => "PurgeReplyAddresses";

    protected override async Task HandleAsync(TimerInfo timer, CancellationToken cancellationToken)
    {
        foreach (var id in await store.DueForReplyAddressPurgeAsync(time.GetUtcNow(), cancellationToken))
        {
            await store.PurgeReplyAddressAsync(id, cancellationToken);
        }

        await store.ForgetProcessedBeforeAsync(time.GetUtcNow() - ConversationRetention.ProcessedMessageMemory, cancellationToken);
    }
}

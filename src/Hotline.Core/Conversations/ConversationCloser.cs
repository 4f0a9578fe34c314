using Hotline.Routing;

namespace Hotline.Conversations;

/// <summary>
/// Closes a conversation: its counsellor's slot is given back, the caller's next message starts a new conversation,
/// and the reply address is deleted a grace period later (<see cref="ConversationRetention"/>). The reason is
/// recorded as the last hop.
/// </summary>
public sealed class ConversationCloser(IConversationStore store, ICounsellorLoads loads, TimeProvider time)
{
    /// <summary>The closed conversation (also when it was closed already), or null when it kept changing.</summary>
    public async Task<Conversation?> CloseAsync(Conversation conversation, string? closedBy, string reason, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < 5 && conversation.IsOpen; attempt++)
        {
            var now = time.GetUtcNow();
            var closed = conversation with
            {
                Status = ConversationStatus.Closed,
                ClosedAt = now,
                Hops = [.. conversation.Hops, new RoutingHop(now, closedBy, reason)],
            };
            if (await store.TryUpdateAsync(closed, cancellationToken))
            {
                if (conversation.AssignedTo is { } counsellor)
                {
                    await loads.ReleaseAsync(counsellor, conversation.Id, cancellationToken);
                }

                await store.UnlinkCallerAsync(conversation.CallerPseudonym, conversation.Id, cancellationToken);
                return closed;
            }

            conversation = await store.FindAsync(conversation.Id, cancellationToken) ?? conversation with { Status = ConversationStatus.Closed };
        }

        return conversation.IsOpen ? null : conversation;
    }
}

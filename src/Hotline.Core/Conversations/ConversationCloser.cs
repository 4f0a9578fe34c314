using Hotline.Routing;

namespace Hotline.Conversations;

/// <summary>
/// Closes a conversation: its counsellor's slot is given back, the caller's next message starts a new conversation,
/// and the reply address is deleted a grace period later (<see cref="ConversationRetention"/>). The reason is
/// recorded as the last hop. An emergency raised on it is closed with it, as the last step of its escalation's log.
/// </summary>
public sealed class ConversationCloser(IConversationStore store, ICounsellorLoads loads, Escalations.IEscalationLog log, TimeProvider time)
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
                if (closed.EscalationId is { } escalation)
                {
                    await log.AppendAsync(escalation, Escalations.EscalationStep.Closed, closedBy ?? "system",
                        new Dictionary<string, string> { ["conversation"] = closed.Id, ["reason"] = reason }, cancellationToken);
                }

                return closed;
            }

            conversation = await store.FindAsync(conversation.Id, cancellationToken) ?? conversation with { Status = ConversationStatus.Closed };
        }

        return conversation.IsOpen ? null : conversation;
    }
}

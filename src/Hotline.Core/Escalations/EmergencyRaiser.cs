using Hotline.Conversations;

namespace Hotline.Escalations;

/// <summary>An alert for the supervisor on duty: ids and the reason only, never what the caller wrote.</summary>
public sealed record SupervisorAlert(string EscalationId, string ConversationId, string Reason);

/// <summary>Reaches the supervisor on duty at once (by SMS to the duty phone).</summary>
public interface ISupervisorAlerts
{
    Task AlertAsync(SupervisorAlert alert, CancellationToken cancellationToken = default);
}

public static class EscalationIds
{
    public static string New() => "e-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(10));
}

/// <summary>
/// Raises an emergency on a conversation: marks it (so it comes first in every list), records the step in the
/// escalation log and alerts the supervisor on duty. Raising twice is harmless. Nothing of this reaches the caller,
/// who may be watched.
/// </summary>
public sealed class EmergencyRaiser(
    IConversationStore store, IEscalationStore escalations, IEscalationLog log, ISupervisorAlerts alerts, TimeProvider time)
{
    public const string DangerWordSource = "danger-word";

    /// <summary>A conversation about to be created, marked as an emergency (announce it once it is stored).</summary>
    public Conversation Mark(Conversation conversation, string source) => conversation with
    {
        EmergencyAt = time.GetUtcNow(),
        EscalationId = EscalationIds.New(),
        Hops = [.. conversation.Hops, new RoutingHop(time.GetUtcNow(), null, "emergency raised: " + source)],
    };

    /// <summary>Raises the emergency on a stored conversation (unless it has one), then announces it.</summary>
    public async Task<Conversation> RaiseAsync(Conversation conversation, string source, string actor, CancellationToken cancellationToken = default)
    {
        await EnsureAnnouncedAsync(conversation, source, actor, cancellationToken);
        for (var attempt = 0; attempt < 10 && conversation.EscalationId is null; attempt++)
        {
            var raised = Mark(conversation, source);
            if (await store.TryUpdateAsync(raised, cancellationToken))
            {
                await AnnounceAsync(raised, source, actor, cancellationToken);
                return raised;
            }

            conversation = await store.FindAsync(conversation.Id, cancellationToken) ?? conversation;
        }

        return conversation;
    }

    /// <summary>
    /// Alerts the supervisor on duty, logs the raising, and last creates the escalation record, which marks the
    /// announcement done. Interrupted half-way, it is completed by <see cref="EnsureAnnouncedAsync"/>; a supervisor
    /// alerted twice is better than one never alerted.
    /// </summary>
    public async Task AnnounceAsync(Conversation raised, string source, string actor, CancellationToken cancellationToken = default)
    {
        await alerts.AlertAsync(new SupervisorAlert(raised.EscalationId!, raised.Id, $"possible emergency ({source})"), cancellationToken);
        await log.AppendAsync(raised.EscalationId!, EscalationStep.Raised, actor, new Dictionary<string, string>
        {
            ["conversation"] = raised.Id,
            ["source"] = source,
            ["channel"] = raised.Channel,
            ["language"] = raised.Language,
        }, cancellationToken);
        await escalations.CreateAsync(new Escalation
        {
            Id = raised.EscalationId!,
            ConversationId = raised.Id,
            Source = source,
            RaisedBy = actor,
            RaisedAt = raised.EmergencyAt ?? time.GetUtcNow(),
            Language = raised.Language,
        }, cancellationToken);
    }

    /// <summary>Completes an announcement that was interrupted (the conversation is marked, the record is missing).</summary>
    public async Task EnsureAnnouncedAsync(Conversation conversation, string source, string actor, CancellationToken cancellationToken = default)
    {
        if (conversation.EscalationId is { } id && await escalations.FindAsync(id, cancellationToken) is null)
        {
            await AnnounceAsync(conversation, source, actor, cancellationToken);
        }
    }
}

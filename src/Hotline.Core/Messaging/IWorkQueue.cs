namespace Hotline.Messaging;

/// <summary>Hands work to a queue-triggered function. Messages are JSON; delivery is at least once.</summary>
public interface IWorkQueue
{
    Task EnqueueAsync<T>(string queueName, T message, CancellationToken cancellationToken = default) =>
        EnqueueAsync(queueName, message, TimeSpan.Zero, cancellationToken);

    /// <summary>Enqueues a message that no consumer sees before <paramref name="visibleAfter"/> has passed.</summary>
    Task EnqueueAsync<T>(string queueName, T message, TimeSpan visibleAfter, CancellationToken cancellationToken = default);

    /// <summary>
    /// Enqueues a delayed message that may be withdrawn before it becomes visible (a fallback that turned out not to
    /// be needed), and returns what <see cref="WithdrawAsync"/> needs; null when this queue cannot withdraw.
    /// </summary>
    async Task<QueuedMessage?> EnqueueWithdrawableAsync<T>(string queueName, T message, TimeSpan visibleAfter, CancellationToken cancellationToken = default)
    {
        await EnqueueAsync(queueName, message, visibleAfter, cancellationToken);
        return null;
    }

    /// <summary>Withdraws a message not yet delivered. One already delivered, or gone, is left alone.</summary>
    Task WithdrawAsync(QueuedMessage message, CancellationToken cancellationToken = default) => Task.CompletedTask;
}

/// <summary>A message in a queue, as far as withdrawing it goes.</summary>
public sealed record QueuedMessage(string QueueName, string MessageId, string PopReceipt);

/// <summary>Asks the router to find a counsellor for a conversation.</summary>
public sealed record RouteRequest(string ConversationId);

namespace Hotline.Messaging;

/// <summary>Hands work to a queue-triggered function. Messages are JSON; delivery is at least once.</summary>
public interface IWorkQueue
{
    Task EnqueueAsync<T>(string queueName, T message, CancellationToken cancellationToken = default) =>
        EnqueueAsync(queueName, message, TimeSpan.Zero, cancellationToken);

    /// <summary>Enqueues a message that no consumer sees before <paramref name="visibleAfter"/> has passed.</summary>
    Task EnqueueAsync<T>(string queueName, T message, TimeSpan visibleAfter, CancellationToken cancellationToken = default);
}

/// <summary>Asks the router to find a counsellor for a conversation.</summary>
public sealed record RouteRequest(string ConversationId);

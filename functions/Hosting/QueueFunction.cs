using System.Text.Json;

namespace Hotline.Functions.Hosting;

/// <summary>Facts about the queue message being handled, from the invocation metadata.</summary>
public sealed record QueueMessageInfo(string? Id, long DequeueCount, DateTimeOffset? InsertionTime);

/// <summary>
/// Base for queue-triggered functions whose messages are JSON. Delivery is at least once: a handler must be
/// idempotent. Throwing fails the invocation, so the message is retried and, after <c>maxDequeueCount</c>
/// attempts, moved to the poison queue.
/// </summary>
public abstract class QueueFunction<TMessage> : IFunctionHandler
{
    protected static readonly JsonSerializerOptions MessageJson = new(JsonSerializerDefaults.Web);

    public abstract string Name { get; }

    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        var text = FunctionInvocation.AsString(invocation.TriggerValue())
            ?? throw new InvalidInvocationException($"{Name}: the invocation carries no queue message.");

        TMessage message;
        try
        {
            message = JsonSerializer.Deserialize<TMessage>(text, MessageJson)
                ?? throw new InvalidInvocationException($"{Name}: the queue message is empty.");
        }
        catch (JsonException e)
        {
            // The message text itself is never echoed: it may hold caller content.
            throw new InvalidInvocationException($"{Name}: the queue message is not valid JSON ({e.Path}).");
        }

        var info = new QueueMessageInfo(
            invocation.MetadataString("Id"),
            invocation.MetadataInteger("DequeueCount") ?? 1,
            invocation.MetadataTime("InsertionTime"));
        await HandleAsync(message, info, cancellationToken);
        return FunctionResult.Done;
    }

    protected abstract Task HandleAsync(TMessage message, QueueMessageInfo info, CancellationToken cancellationToken);
}

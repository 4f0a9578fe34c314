using System.Globalization;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Hosting;

/// <summary>A queue message that cannot be what its queue carries: the invocation fails, so it ends in the poison queue.</summary>
public sealed class InvalidQueueMessageException(string message) : Exception(message);

/// <summary>
/// Reads the JSON messages of the hotline's queues. Delivery is at least once: every queue function is idempotent.
/// Throwing fails the invocation, so the message is retried and, after <c>maxDequeueCount</c> attempts, moved to the
/// poison queue by the Functions host.
/// </summary>
public static class QueueMessage
{
    private static readonly JsonSerializerOptions MessageJson = new(JsonSerializerDefaults.Web);

    public static TMessage Read<TMessage>(string? text, string function)
    {
        if (string.IsNullOrEmpty(text))
        {
            throw new InvalidQueueMessageException($"{function}: the queue message is empty.");
        }

        try
        {
            return JsonSerializer.Deserialize<TMessage>(text, MessageJson)
                ?? throw new InvalidQueueMessageException($"{function}: the queue message is empty.");
        }
        catch (JsonException e)
        {
            // The message text itself is never echoed: it may hold caller content.
            throw new InvalidQueueMessageException($"{function}: the queue message is not valid JSON ({e.Path}).");
        }
    }

    /// <summary>Which attempt this is (1 for the first), from the trigger metadata the host sends.</summary>
    public static long DequeueCount(FunctionContext context) =>
        context.BindingContext.BindingData.TryGetValue("DequeueCount", out var value)
        && long.TryParse(Convert.ToString(value, CultureInfo.InvariantCulture)?.Trim('"'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count)
            ? count
            : 1;
}

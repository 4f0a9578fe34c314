using System.Text.Json;
using Hotline.Messaging;

namespace Hotline.Storage;

/// <summary>Work queues as Storage queues, base64-encoded as the Functions host expects.</summary>
public sealed class StorageWorkQueue(StorageAccount account) : IWorkQueue
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task EnqueueAsync<T>(string queueName, T message, TimeSpan visibleAfter, CancellationToken cancellationToken = default)
    {
        var queue = account.Queue(queueName);
        var text = JsonSerializer.Serialize(message, Json);
        TimeSpan? delay = visibleAfter > TimeSpan.Zero ? visibleAfter : null;
        try
        {
            await queue.SendMessageAsync(text, delay, cancellationToken: cancellationToken);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await queue.SendMessageAsync(text, delay, cancellationToken: cancellationToken);
        }
    }
}

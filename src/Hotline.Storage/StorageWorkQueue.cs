using System.Text.Json;
using Hotline.Messaging;

namespace Hotline.Storage;

/// <summary>Work queues as Storage queues, base64-encoded as the Functions host expects.</summary>
public sealed class StorageWorkQueue(StorageAccount account) : IWorkQueue
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task EnqueueAsync<T>(string queueName, T message, CancellationToken cancellationToken = default)
    {
        var queue = account.Queue(queueName);
        try
        {
            await queue.SendMessageAsync(JsonSerializer.Serialize(message, Json), cancellationToken);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await queue.SendMessageAsync(JsonSerializer.Serialize(message, Json), cancellationToken);
        }
    }
}

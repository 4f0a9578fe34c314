using System.Text.Json;
using Hotline.Messaging;

namespace Hotline.Storage;

/// <summary>Work queues as Storage queues, base64-encoded as the Functions host expects.</summary>
public sealed class StorageWorkQueue(StorageAccount account) : IWorkQueue
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task EnqueueAsync<T>(string queueName, T message, TimeSpan visibleAfter, CancellationToken cancellationToken = default) =>
        await SendAsync(queueName, message, visibleAfter, cancellationToken);

    public async Task<QueuedMessage?> EnqueueWithdrawableAsync<T>(string queueName, T message, TimeSpan visibleAfter, CancellationToken cancellationToken = default)
    {
        var receipt = await SendAsync(queueName, message, visibleAfter, cancellationToken);
        return new QueuedMessage(queueName, receipt.MessageId, receipt.PopReceipt);
    }

    public async Task WithdrawAsync(QueuedMessage message, CancellationToken cancellationToken = default)
    {
        try
        {
            await account.Queue(message.QueueName).DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            // Already delivered (its pop receipt changed) or gone: nothing to withdraw.
        }
    }

    private async Task<Azure.Storage.Queues.Models.SendReceipt> SendAsync<T>(string queueName, T message, TimeSpan visibleAfter, CancellationToken cancellationToken)
    {
        var queue = account.Queue(queueName);
        var text = JsonSerializer.Serialize(message, Json);
        TimeSpan? delay = visibleAfter > TimeSpan.Zero ? visibleAfter : null;
        try
        {
            return (await queue.SendMessageAsync(text, delay, cancellationToken: cancellationToken)).Value;
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            return (await queue.SendMessageAsync(text, delay, cancellationToken: cancellationToken)).Value;
        }
    }
}

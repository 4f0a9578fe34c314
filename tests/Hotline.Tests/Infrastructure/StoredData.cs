using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Hotline.Storage;

namespace Hotline.Tests.Infrastructure;

/// <summary>Everything an app has put where people or tools can read it: its tables, every queue (poison too) and its logs.</summary>
public static class StoredData
{
    /// <summary>How long a scan keeps the messages it received hidden, should it fail before making them visible again.</summary>
    private static readonly TimeSpan ScanVisibility = TimeSpan.FromSeconds(30);

    public static async Task<string> EverythingAsync(RunningApp app) => (await ScanAsync(app)).Text;

    /// <summary>Everything, and which messages each queue held when it was read (raw, as stored).</summary>
    public static async Task<StoredDataScan> ScanAsync(RunningApp app)
    {
        var everything = new StringBuilder();
        var prefix = app.Services.GetRequiredService<StorageAccount>().TablePrefix;
        var tables = new TableServiceClient(TestEnvironment.StorageConnectionString);
        await foreach (var table in tables.QueryAsync(t => t.Name.CompareTo(prefix) >= 0))
        {
            if (!table.Name.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            await foreach (var entity in tables.GetTableClient(table.Name).QueryAsync<TableEntity>())
            {
                foreach (var (key, value) in entity)
                {
                    everything.Append(key).Append('=').Append(value).Append('\n');
                }
            }
        }

        var queues = new QueueServiceClient(TestEnvironment.StorageConnectionString);
        var messagesByQueue = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        await foreach (var queue in queues.GetQueuesAsync())
        {
            var messages = await MessagesAsync(queues.GetQueueClient(queue.Name));
            messagesByQueue[queue.Name] = messages;
            foreach (var message in messages)
            {
                everything.Append(message).Append('\n').Append(SafeBase64(message)).Append('\n');
            }
        }

        return new StoredDataScan(everything.Append(app.Logs.AllText).ToString(), messagesByQueue);
    }

    /// <summary>
    /// Every visible message of a queue, as stored (base64 for the product's queues), leaving each where it was.
    /// </summary>
    /// <remarks>
    /// Peeking cannot page: it returns at most 32 messages and always the same first ones. So when a peek shows a
    /// full 32, the queue is read by receiving instead: a received message stays hidden for
    /// <see cref="ScanVisibility"/>, so each receive returns the next ones, until one comes back empty; then every
    /// received message is made visible again at once. Receiving counts as a delivery (its DequeueCount goes up, so
    /// a live consumer may poison it one attempt sooner) and hides it from consumers for the length of the scan;
    /// that is why small queues are only peeked. Neither way sees a message that is invisible already (being handled
    /// by a function, or enqueued with a delay).
    /// </remarks>
    public static async Task<IReadOnlyList<string>> MessagesAsync(QueueClient queue)
    {
        var peeked = (await queue.PeekMessagesAsync(32)).Value;
        if (peeked.Length < 32)
        {
            return peeked.Select(m => m.Body.ToString()).ToList();
        }

        var received = new List<QueueMessage>();
        try
        {
            while (received.Count < 100_000)
            {
                var batch = (await queue.ReceiveMessagesAsync(32, ScanVisibility)).Value;
                if (batch.Length == 0)
                {
                    break;
                }

                received.AddRange(batch);
            }
        }
        finally
        {
            foreach (var message in received)
            {
                try
                {
                    await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
                }
                catch (Azure.RequestFailedException)
                {
                    // Deleted meanwhile, or visible again already and taken by a consumer: not ours to release.
                }
            }
        }

        return received.Select(m => m.Body.ToString()).ToList();
    }

    /// <summary>The ways a number is commonly written (E.164, without +, national, with spaces).</summary>
    public static string[] FormsOf(string e164, string national) =>
    [
        e164, e164.TrimStart('+'), national, national.TrimStart('0'),
        $"{e164[..3]} {e164[3..6]} {e164[6..9]} {e164[9..]}", $"{national[1..4]} {national[4..7]} {national[7..]}",
    ];

    private static string SafeBase64(string text)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(text));
        }
        catch (FormatException)
        {
            return string.Empty;
        }
    }
}

/// <summary>What <see cref="StoredData.ScanAsync"/> saw: all of it as text, and each queue's messages.</summary>
public sealed record StoredDataScan(string Text, IReadOnlyDictionary<string, IReadOnlyList<string>> QueueMessages);

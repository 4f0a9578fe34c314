using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Hotline.Storage;

namespace Hotline.Tests.Infrastructure;

/// <summary>Everything an app has put where people or tools can read it: its tables, every queue (poison too) and its logs.</summary>
public static class StoredData
{
    public static async Task<string> EverythingAsync(RunningApp app)
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
        await foreach (var queue in queues.GetQueuesAsync())
        {
            foreach (var message in (await queues.GetQueueClient(queue.Name).PeekMessagesAsync(32)).Value)
            {
                everything.Append(message.Body).Append('\n').Append(SafeBase64(message.Body.ToString())).Append('\n');
            }
        }

        return everything.Append(app.Logs.AllText).ToString();
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

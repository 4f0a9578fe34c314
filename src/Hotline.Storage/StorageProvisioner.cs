using Azure.Data.Tables;
using Hotline.Messaging;

namespace Hotline.Storage;

/// <summary>Creates the hotline's tables and queues that do not exist yet.</summary>
public sealed class StorageProvisioner(StorageAccount account)
{
    // One listing per service finds what exists and only what is missing is created: an instance of a hotline whose
    // storage is already in place starts with two requests rather than one per table and queue.
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(EnsureTablesAsync(cancellationToken), EnsureQueuesAsync(cancellationToken));
    }

    private async Task EnsureTablesAsync(CancellationToken cancellationToken)
    {
        var prefix = account.TablePrefix;
        var missing = TableNames.All.Select(name => prefix + name).ToHashSet(StringComparer.OrdinalIgnoreCase);

        // Table names are letters and digits, all ordered before '{': the range is exactly the names with the prefix.
        var filter = prefix.Length == 0 ? null : TableServiceClient.CreateQueryFilter($"TableName ge {prefix} and TableName lt {prefix + "{"}");
        await foreach (var table in account.Tables.QueryAsync(filter, cancellationToken: cancellationToken))
        {
            missing.Remove(table.Name);
        }

        foreach (var name in missing)
        {
            await account.Tables.GetTableClient(name).CreateIfNotExistsAsync(cancellationToken);
        }
    }

    private async Task EnsureQueuesAsync(CancellationToken cancellationToken)
    {
        var missing = QueueNames.All.ToHashSet(StringComparer.Ordinal);
        await foreach (var queue in account.Queues.GetQueuesAsync(cancellationToken: cancellationToken))
        {
            missing.Remove(queue.Name);
        }

        foreach (var name in missing)
        {
            await account.Queue(name).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
    }
}

using Azure;
using Azure.Data.Tables;

namespace Hotline.Storage;

/// <summary>One cheap authenticated round trip to each storage service, for the health endpoint.</summary>
public sealed class StorageHealthProbe(StorageAccount account)
{
    private const string ProbeQueue = "health-probe";

    public async Task ProbeTablesAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var _ in account.Table(TableNames.Roster)
                .QueryAsync<TableEntity>(maxPerPage: 1, select: ["PartitionKey"], cancellationToken: cancellationToken)
                .AsPages(pageSizeHint: 1))
            {
                break;
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // The service answered: it is reachable, the table is simply not created yet.
        }
    }

    public async Task ProbeQueuesAsync(CancellationToken cancellationToken) =>
        await account.Queue(ProbeQueue).ExistsAsync(cancellationToken);
}

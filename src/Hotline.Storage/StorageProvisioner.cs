using Hotline.Messaging;

namespace Hotline.Storage;

/// <summary>Creates the tables and queues the hotline needs. Idempotent; safe to run on every start.</summary>
public sealed class StorageProvisioner(StorageAccount account)
{
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        foreach (var table in TableNames.All)
        {
            await account.Table(table).CreateIfNotExistsAsync(cancellationToken);
        }

        foreach (var queue in QueueNames.All)
        {
            await account.Queue(queue).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
    }
}

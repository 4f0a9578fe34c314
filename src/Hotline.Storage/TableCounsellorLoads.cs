using Azure;
using Azure.Data.Tables;
using Hotline.Routing;

namespace Hotline.Storage;

/// <summary>
/// Counsellor loads in one small partition, one entity per counsellor listing the conversations they hold.
/// Every change is a read-modify-write guarded by the entity's ETag and retried on conflict: optimistic
/// concurrency, so parallel routers never push a counsellor over capacity.
/// </summary>
public sealed class TableCounsellorLoads(StorageAccount account) : ICounsellorLoads
{
    private const string Partition = "load";
    private const int MaxAttempts = 20;

    private TableClient Table => account.Table(TableNames.CounsellorLoads);

    public async Task<IReadOnlyDictionary<string, int>> OpenCountsAsync(CancellationToken cancellationToken = default)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        await foreach (var e in Table.QueryAsync<TableEntity>(x => x.PartitionKey == Partition, cancellationToken: cancellationToken))
        {
            result[e.RowKey] = Held(e).Count;
        }

        return result;
    }

    public async Task<IReadOnlyDictionary<string, IReadOnlySet<string>>> HeldAsync(CancellationToken cancellationToken = default)
    {
        var result = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        await foreach (var e in Table.QueryAsync<TableEntity>(x => x.PartitionKey == Partition, cancellationToken: cancellationToken))
        {
            result[e.RowKey] = Held(e).ToHashSet(StringComparer.Ordinal);
        }

        return result;
    }

    public Task<Reservation> TryReserveAsync(string counsellorId, string conversationId, int capacity, CancellationToken cancellationToken = default) =>
        ChangeAsync(counsellorId, held =>
        {
            if (held.Contains(conversationId))
            {
                return (held, Reservation.AlreadyHeld);
            }

            return held.Count < capacity ? ([.. held, conversationId], Reservation.Reserved) : (held, Reservation.Full);
        }, cancellationToken);

    public Task ReleaseAsync(string counsellorId, string conversationId, CancellationToken cancellationToken = default) =>
        ChangeAsync(counsellorId, held => (held.Where(id => id != conversationId).ToList(), true), cancellationToken);

    private async Task<T> ChangeAsync<T>(
        string counsellorId, Func<List<string>, (List<string> Held, T Result)> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, counsellorId, cancellationToken: cancellationToken);
            var entity = current.HasValue ? current.Value! : null;
            var held = entity is null ? [] : Held(entity);
            var (next, result) = change(held);
            if (next.SequenceEqual(held))
            {
                return result;
            }

            var updated = new TableEntity(Partition, counsellorId) { ["Conversations"] = string.Join(',', next), ["Open"] = next.Count };
            try
            {
                if (entity is null)
                {
                    await Table.AddEntityAsync(updated, cancellationToken);
                }
                else
                {
                    await Table.UpdateEntityAsync(updated, entity.ETag, TableUpdateMode.Replace, cancellationToken);
                }

                return result;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Someone changed it first: read again and retry with a short random pause.
                await Task.Delay(Random.Shared.Next(1, 10 * (attempt + 1)), cancellationToken);
            }
        }

        throw new InvalidOperationException($"Could not update the load of counsellor '{counsellorId}' after {MaxAttempts} attempts.");
    }

    private static List<string> Held(TableEntity entity) =>
        (entity.GetString("Conversations") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries).ToList();
}

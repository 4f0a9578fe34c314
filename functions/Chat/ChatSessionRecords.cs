using Azure;
using Azure.Data.Tables;
using Hotline.Storage;

namespace Hotline.Functions.Chat;

/// <summary>
/// What the hotline keeps about chat sessions beyond their conversations, in two partitions of <c>Callers</c>: per
/// session pseudonym, whether the caller left (a left session's token is refused until it would have expired anyway)
/// and the keyed pseudonym of the network address it started its conversation from (kept a day past the session, so
/// a supervisor reviewing the day's chats can still block it); per address pseudonym, the blocks that hold against
/// new conversations from there. Addresses are never stored in plaintext. Rows past their time are deleted now and
/// then, as sessions start.
/// </summary>
public sealed class ChatSessionRecords(StorageAccount account, TimeProvider time)
{
    private const string SessionPartition = "chat-session";
    private const string AddressBlockPartition = "chat-address-block";
    private static readonly TimeSpan AddressKept = TimeSpan.FromDays(1);
    private static readonly TimeSpan PurgeEvery = TimeSpan.FromMinutes(10);
    private long _nextPurgeTicks;

    private TableClient Callers => account.Table(TableNames.Callers);

    /// <summary>Remembers the address a session started its conversation from.</summary>
    public async Task RecordAddressAsync(string session, string address, DateTimeOffset expires, CancellationToken cancellationToken = default) =>
        await Callers.UpsertEntityAsync(new TableEntity(SessionPartition, session)
        {
            ["Address"] = address,
            ["KeepUntil"] = expires + AddressKept,
        }, TableUpdateMode.Merge, cancellationToken);

    /// <summary>The caller left: the session's token is refused from now on.</summary>
    public async Task RevokeAsync(string session, DateTimeOffset expires, CancellationToken cancellationToken = default)
    {
        var existing = await FindAsync(session, cancellationToken);
        var keepUntil = existing?.GetDateTimeOffset("KeepUntil") is { } kept && kept > expires ? kept : expires;
        await Callers.UpsertEntityAsync(new TableEntity(SessionPartition, session)
        {
            ["Revoked"] = true,
            ["KeepUntil"] = keepUntil,
        }, TableUpdateMode.Merge, cancellationToken);
    }

    public async Task<bool> IsRevokedAsync(string session, CancellationToken cancellationToken = default) =>
        (await FindAsync(session, cancellationToken))?.GetBoolean("Revoked") == true;

    /// <summary>A block on a chat caller also holds against new conversations from the address their session used.</summary>
    public async Task<bool> BlockAddressOfAsync(string session, DateTimeOffset until, CancellationToken cancellationToken = default)
    {
        if ((await FindAsync(session, cancellationToken))?.GetString("Address") is not { } address)
        {
            return false;
        }

        await Callers.UpsertEntityAsync(new TableEntity(AddressBlockPartition, address)
        {
            ["Caller"] = session,
            ["Until"] = until,
        }, TableUpdateMode.Replace, cancellationToken);
        return true;
    }

    public async Task UnblockAddressOfAsync(string session, CancellationToken cancellationToken = default)
    {
        await foreach (var e in Callers.QueryAsync<TableEntity>(
            x => x.PartitionKey == AddressBlockPartition && x.GetString("Caller") == session, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            await Callers.DeleteEntityAsync(e.PartitionKey, e.RowKey, ETag.All, cancellationToken);
        }
    }

    public async Task<bool> IsAddressBlockedAsync(string address, CancellationToken cancellationToken = default)
    {
        var block = await Callers.GetEntityIfExistsAsync<TableEntity>(AddressBlockPartition, address, cancellationToken: cancellationToken);
        return block.HasValue && block.Value!.GetDateTimeOffset("Until") > time.GetUtcNow();
    }

    /// <summary>Deletes what is past its time, at most every few minutes (cheap enough to call on every new session).</summary>
    public async Task PurgeIfDueAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var due = Interlocked.Read(ref _nextPurgeTicks);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextPurgeTicks, (now + PurgeEvery).UtcTicks, due) != due)
        {
            return;
        }

        foreach (var filter in new[]
        {
            TableClient.CreateQueryFilter($"PartitionKey eq {SessionPartition} and KeepUntil lt {now}"),
            TableClient.CreateQueryFilter($"PartitionKey eq {AddressBlockPartition} and Until lt {now}"),
        })
        {
            await foreach (var e in Callers.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
            {
                await Callers.DeleteEntityAsync(e.PartitionKey, e.RowKey, ETag.All, cancellationToken);
            }
        }
    }

    private async Task<TableEntity?> FindAsync(string session, CancellationToken cancellationToken)
    {
        var row = await Callers.GetEntityIfExistsAsync<TableEntity>(SessionPartition, session, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }
}

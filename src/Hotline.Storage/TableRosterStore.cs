using Azure;
using Azure.Data.Tables;
using Hotline.Roster;

namespace Hotline.Storage;

/// <summary>The roster in one table partition: a roster is small (tens of counsellors), so one query reads it all.</summary>
public sealed class TableRosterStore(StorageAccount account) : IRosterStore
{
    private const string Partition = "counsellor";

    private TableClient Table => account.Table(TableNames.Roster);

    public async Task<IReadOnlyList<Counsellor>> ListAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<Counsellor>();
        await foreach (var entity in Table.QueryAsync<TableEntity>(
            e => e.PartitionKey == Partition, cancellationToken: cancellationToken))
        {
            result.Add(ToCounsellor(entity));
        }

        return result;
    }

    public async Task<Counsellor?> FindAsync(string counsellorId, CancellationToken cancellationToken = default)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(
            Partition, counsellorId, cancellationToken: cancellationToken);
        return response.HasValue && response.Value is not null ? ToCounsellor(response.Value) : null;
    }

    public async Task SaveAsync(Counsellor counsellor, CancellationToken cancellationToken = default)
    {
        var entity = new TableEntity(Partition, counsellor.Id)
        {
            ["DisplayName"] = counsellor.DisplayName,
            ["Languages"] = string.Join(',', counsellor.Languages),
            ["OnCall"] = counsellor.OnCall,
            ["Capacity"] = counsellor.Capacity,
            ["InterpreterLanguages"] = string.Join(',', counsellor.InterpreterLanguages),
            ["BringsInterpreter"] = counsellor.BringsInterpreter,
            ["SupervisorOnDuty"] = counsellor.SupervisorOnDuty,
        };
        // Merge, not replace: every roster field is written, and when the counsellor was last seen is kept.
        await Table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
    }

    public async Task<bool> SetOnCallAsync(string counsellorId, bool onCall, CancellationToken cancellationToken = default)
    {
        try
        {
            // Merge touches only OnCall, so a supervisor's concurrent roster edit is not overwritten.
            await Table.UpdateEntityAsync(
                new TableEntity(Partition, counsellorId) { ["OnCall"] = onCall }, ETag.All, TableUpdateMode.Merge,
                cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    public async Task<bool> MarkSeenAsync(string counsellorId, Presence presence, CancellationToken cancellationToken = default)
    {
        try
        {
            await Table.UpdateEntityAsync(
                new TableEntity(Partition, counsellorId) { ["LastSeenAt"] = presence.At, ["LastSeenBy"] = presence.Source.ToString() },
                ETag.All, TableUpdateMode.Merge, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    private static Counsellor ToCounsellor(TableEntity entity) => new(
        entity.RowKey,
        entity.GetString("DisplayName") ?? entity.RowKey,
        (entity.GetString("Languages") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries),
        entity.GetBoolean("OnCall") ?? false,
        entity.GetInt32("Capacity") ?? 0)
    {
        InterpreterLanguages = (entity.GetString("InterpreterLanguages") ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries),
        BringsInterpreter = entity.GetBoolean("BringsInterpreter") ?? false,
        SupervisorOnDuty = entity.GetBoolean("SupervisorOnDuty") ?? false,
        LastSeen = entity.GetDateTimeOffset("LastSeenAt") is { } seen
            ? new Presence(seen, Enum.TryParse<PresenceSource>(entity.GetString("LastSeenBy"), out var source) ? source : PresenceSource.Console)
            : null,
    };
}

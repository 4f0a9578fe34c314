using Azure;
using Azure.Data.Tables;
using Hotline.Privacy;
using Hotline.Roster;
using Microsoft.Extensions.Logging;

namespace Hotline.Storage;

/// <summary>
/// The roster in one table partition: a roster is small (tens of counsellors), so one query reads it all. A
/// counsellor's phone is stored encrypted (<see cref="CounsellorPhoneProtector"/>, bound to their id); an empty
/// <c>Phone</c> means none.
/// </summary>
public sealed class TableRosterStore(StorageAccount account, CounsellorPhoneProtector phones, ILogger<TableRosterStore> logger) : IRosterStore
{
    private const string Partition = "counsellor";

    private TableClient Table => account.Table(TableNames.Roster);

    public async Task<IReadOnlyList<Counsellor>> ListAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<Counsellor>();
        await foreach (var entity in Table.QueryAsync<TableEntity>(
            e => e.PartitionKey == Partition, cancellationToken: cancellationToken))
        {
            result.Add(await ToCounsellorAsync(entity, cancellationToken));
        }

        return result;
    }

    public async Task<Counsellor?> FindAsync(string counsellorId, CancellationToken cancellationToken = default)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(
            Partition, counsellorId, cancellationToken: cancellationToken);
        return response.HasValue && response.Value is not null ? await ToCounsellorAsync(response.Value, cancellationToken) : null;
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
        if (counsellor.Phone is { } phone)
        {
            entity["Phone"] = await phones.ProtectAsync(phone.Reveal(), counsellor.Id, cancellationToken);
            entity["TakesCallsOnPhone"] = counsellor.TakesCallsOnPhone;
        }

        // Merge, not replace: every roster field is written, and when the counsellor was last seen (and, unless given,
        // their phone) is kept.
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

    public async Task<bool> SetPhoneAsync(
        string counsellorId, StaffPhoneNumber? phone, bool takesCallsOnPhone, CancellationToken cancellationToken = default)
    {
        var entity = new TableEntity(Partition, counsellorId)
        {
            // Cleared as an empty value: a merge cannot remove a property.
            ["Phone"] = phone is null ? string.Empty : await phones.ProtectAsync(phone.Reveal(), counsellorId, cancellationToken),
            ["TakesCallsOnPhone"] = phone is not null && takesCallsOnPhone,
        };
        try
        {
            await Table.UpdateEntityAsync(entity, ETag.All, TableUpdateMode.Merge, cancellationToken);
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

    private async Task<Counsellor> ToCounsellorAsync(TableEntity entity, CancellationToken cancellationToken)
    {
        var phone = await PhoneOfAsync(entity, cancellationToken);
        return ToCounsellor(entity) with
        {
            Phone = phone,
            TakesCallsOnPhone = phone is not null && (entity.GetBoolean("TakesCallsOnPhone") ?? false),
        };
    }

    private async Task<StaffPhoneNumber?> PhoneOfAsync(TableEntity entity, CancellationToken cancellationToken)
    {
        if (entity.GetString("Phone") is not { Length: > 0 } stored)
        {
            return null;
        }

        try
        {
            return StaffPhoneNumber.Parse(await phones.UnprotectAsync(stored, entity.RowKey, cancellationToken));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Routing of text conversations reads the roster too: an unreadable phone (a replaced key, the secret
            // store unreachable) leaves this counsellor without one rather than failing every read.
            logger.LogWarning("Could not read the phone of counsellor {CounsellorId} ({Error}); they cannot be rung until it is set again.",
                entity.RowKey, e.GetType().Name);
            return null;
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

using Azure;
using Azure.Data.Tables;
using Hotline.Escalations;
using Hotline.Privacy;

namespace Hotline.Storage;

/// <summary>
/// Referrals in <c>Referrals</c>: one partition of referrals, which hold ids and times only, and one of the packets
/// sent, whose facts are personal data, encrypted and bound to their referral.
/// </summary>
public sealed class TableReferralStore(StorageAccount account, MessageTextProtector protector) : IReferralStore
{
    private const string Partition = "referral";
    private const string PacketPartition = "packet";
    private const string ReceiptPartition = "receipt-id";

    private TableClient Table => account.Table(TableNames.Referrals);

    public async Task<Referral?> FindAsync(string referralId, CancellationToken cancellationToken = default)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, referralId, cancellationToken: cancellationToken);
        return response.HasValue ? ToReferral(response.Value!) : null;
    }

    public async Task CreateAsync(Referral referral, CancellationToken cancellationToken = default) =>
        await Table.AddEntityAsync(ToEntity(referral), cancellationToken);

    public async Task<bool> TryUpdateAsync(Referral referral, CancellationToken cancellationToken = default)
    {
        try
        {
            await Table.UpdateEntityAsync(ToEntity(referral), new ETag(referral.Version!), TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<Referral>> ListAsync(string? agencyId = null, CancellationToken cancellationToken = default)
    {
        var query = agencyId is null
            ? Table.QueryAsync<TableEntity>(x => x.PartitionKey == Partition, cancellationToken: cancellationToken)
            : Table.QueryAsync<TableEntity>(x => x.PartitionKey == Partition && x.GetString("AgencyId") == agencyId, cancellationToken: cancellationToken);
        var result = new List<Referral>();
        await foreach (var e in query)
        {
            result.Add(ToReferral(e));
        }

        return result;
    }

    public async Task<IReadOnlyList<Referral>> ListUnsettledAsync(CancellationToken cancellationToken = default)
    {
        // Acknowledged referrals, the bulk over time, are left on the server.
        var result = new List<Referral>();
        await foreach (var e in Table.QueryAsync<TableEntity>(
            x => x.PartitionKey == Partition && x.GetString("Status") != ReferralStatuses.Acknowledged, cancellationToken: cancellationToken))
        {
            var referral = ToReferral(e);
            if (referral.Status != ReferralStatuses.Overdue || referral.FailoverHandledAt is null)
            {
                result.Add(referral);
            }
        }

        return result;
    }

    public async Task<string> RecordPacketAsync(string referralId, string packet, CancellationToken cancellationToken = default)
    {
        try
        {
            await Table.AddEntityAsync(new TableEntity(PacketPartition, referralId)
            {
                ["Packet"] = await protector.ProtectAsync(packet, AssociatedData(referralId), cancellationToken),
            }, cancellationToken);
            return packet;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return await FindPacketAsync(referralId, cancellationToken) ?? packet; // an earlier delivery recorded one
        }
    }

    public async Task<bool> TryRecordReceiptIdAsync(string agencyId, string webhookId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        // Hashed: a webhook-id is the agency's text, and may hold characters a row key cannot.
        var key = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{agencyId}\n{webhookId}")));
        try
        {
            await Table.AddEntityAsync(new TableEntity(ReceiptPartition, key) { ["AgencyId"] = agencyId, ["At"] = at }, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    public async Task<string?> FindPacketAsync(string referralId, CancellationToken cancellationToken = default)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(PacketPartition, referralId, cancellationToken: cancellationToken);
        return response.HasValue && response.Value!.GetString("Packet") is { } sealedPacket
            ? await protector.UnprotectAsync(sealedPacket, AssociatedData(referralId), cancellationToken)
            : null;
    }

    private static string AssociatedData(string referralId) => referralId + "/packet";

    private static TableEntity ToEntity(Referral r) => new(Partition, r.Id)
    {
        ["EscalationId"] = r.EscalationId,
        ["AgencyId"] = r.AgencyId,
        ["Status"] = r.Status,
        ["CreatedAt"] = r.CreatedAt,
        ["CreatedBy"] = r.CreatedBy,
        ["SentAt"] = r.SentAt,
        ["AcknowledgeBy"] = r.AcknowledgeBy,
        ["AcknowledgedAt"] = r.AcknowledgedAt,
        ["FailoverHandledAt"] = r.FailoverHandledAt,
        ["DutyPhonesAlertedAt"] = r.DutyPhonesAlertedAt,
    };

    private static Referral ToReferral(TableEntity e) => new()
    {
        Id = e.RowKey,
        EscalationId = e.GetString("EscalationId")!,
        AgencyId = e.GetString("AgencyId")!,
        Status = e.GetString("Status") ?? ReferralStatuses.Queued,
        CreatedAt = e.GetDateTimeOffset("CreatedAt") ?? default,
        CreatedBy = e.GetString("CreatedBy"),
        SentAt = e.GetDateTimeOffset("SentAt"),
        AcknowledgeBy = e.GetDateTimeOffset("AcknowledgeBy"),
        AcknowledgedAt = e.GetDateTimeOffset("AcknowledgedAt"),
        FailoverHandledAt = e.GetDateTimeOffset("FailoverHandledAt"),
        DutyPhonesAlertedAt = e.GetDateTimeOffset("DutyPhonesAlertedAt"),
        Version = e.ETag.ToString(),
    };
}

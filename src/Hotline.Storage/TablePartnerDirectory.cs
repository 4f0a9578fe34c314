using System.Text.Json;
using Azure.Data.Tables;
using Hotline.Escalations;

namespace Hotline.Storage;

/// <summary>Partner agencies in <c>Partners</c> (one small partition). Their webhook secrets live in the secret store, not here.</summary>
public sealed class TablePartnerDirectory(StorageAccount account) : IPartnerDirectory
{
    private const string Partition = "partner";

    private TableClient Table => account.Table(TableNames.Partners);

    public async Task<IReadOnlyList<PartnerAgency>> ListAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<PartnerAgency>();
        await foreach (var e in Table.QueryAsync<TableEntity>(x => x.PartitionKey == Partition, cancellationToken: cancellationToken))
        {
            result.Add(ToAgency(e));
        }

        return result;
    }

    public async Task<PartnerAgency?> FindAsync(string agencyId, CancellationToken cancellationToken = default)
    {
        if (!PartnerAgency.IsWellFormedId(agencyId))
        {
            return null; // no such agency can be stored, and the text is not fit for a row key
        }

        var response = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, agencyId, cancellationToken: cancellationToken);
        return response.HasValue ? ToAgency(response.Value!) : null;
    }

    public async Task SaveAsync(PartnerAgency a, CancellationToken cancellationToken = default) =>
        await Table.UpsertEntityAsync(new TableEntity(Partition, a.Id)
        {
            ["Name"] = a.Name,
            ["Mandate"] = a.Mandate,
            ["Areas"] = JsonSerializer.Serialize(a.Areas),
            ["Languages"] = JsonSerializer.Serialize(a.Languages),
            ["Hours"] = a.Hours,
            ["WebhookUrl"] = a.WebhookUrl.ToString(),
            ["AlertPhones"] = JsonSerializer.Serialize(a.AlertPhones),
            ["BackupAgencyId"] = a.BackupAgencyId,
            ["AckDeadlineSeconds"] = (long)a.AckDeadline.TotalSeconds,
        }, TableUpdateMode.Replace, cancellationToken);

    private static PartnerAgency ToAgency(TableEntity e) => new(
        e.RowKey,
        e.GetString("Name") ?? string.Empty,
        e.GetString("Mandate") ?? string.Empty,
        JsonSerializer.Deserialize<List<string>>(e.GetString("Areas") ?? "[]") ?? [],
        JsonSerializer.Deserialize<List<string>>(e.GetString("Languages") ?? "[]") ?? [],
        e.GetString("Hours") ?? string.Empty,
        new Uri(e.GetString("WebhookUrl")!),
        JsonSerializer.Deserialize<List<string>>(e.GetString("AlertPhones") ?? "[]") ?? [],
        e.GetString("BackupAgencyId"),
        TimeSpan.FromSeconds(e.GetInt64("AckDeadlineSeconds") ?? (long)PartnerAgency.DefaultAckDeadline.TotalSeconds));
}

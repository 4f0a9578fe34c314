using System.Globalization;
using Azure.Data.Tables;
using Hotline.Conversations;

namespace Hotline.Storage;

/// <summary>Contacts in <c>Contacts</c>, one partition per UTC day, so a range of days is one query.</summary>
public sealed class TableContactStatistics(StorageAccount account) : IContactStatistics
{
    private TableClient Table => account.Table(TableNames.Contacts);

    public async Task RecordContactAsync(Conversation conversation, CancellationToken cancellationToken = default) =>
        await Table.UpsertEntityAsync(new TableEntity(Day(conversation.CreatedAt), conversation.Id)
        {
            ["Channel"] = conversation.Channel,
            ["Language"] = conversation.Language,
            ["CreatedAt"] = conversation.CreatedAt,
        }, TableUpdateMode.Merge, cancellationToken);

    public async Task RecordAcceptedAsync(Conversation conversation, DateTimeOffset acceptedAt, CancellationToken cancellationToken = default) =>
        await Table.UpsertEntityAsync(new TableEntity(Day(conversation.CreatedAt), conversation.Id)
        {
            ["Channel"] = conversation.Channel,
            ["Language"] = conversation.Language,
            ["CreatedAt"] = conversation.CreatedAt,
            ["AcceptedAt"] = acceptedAt,
        }, TableUpdateMode.Merge, cancellationToken);

    public async Task<IReadOnlyList<ContactRecord>> ListAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {Day(from)} and PartitionKey le {Day(to)}");
        var result = new List<ContactRecord>();
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            var created = e.GetDateTimeOffset("CreatedAt") ?? default;
            if (created >= from && created <= to)
            {
                result.Add(new ContactRecord(e.RowKey, e.GetString("Channel") ?? "", e.GetString("Language") ?? "", created, e.GetDateTimeOffset("AcceptedAt")));
            }
        }

        return result;
    }

    private static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

using System.Globalization;
using Azure.Data.Tables;
using Hotline.Calls;
using Hotline.Conversations;

namespace Hotline.Storage;

/// <summary>
/// Contacts in <c>Contacts</c>, one partition per UTC day, so a range of days is one query; each phone call's figures
/// beside them.
/// </summary>
public sealed class TableContactStatistics(StorageAccount account) : IContactStatistics
{
    // A call's row sits in the day of the contacts; conversation ids start with "c-", so the two never meet.
    private const string CallRowPrefix = "call-";
    private const string CallRowEnd = "call.";

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

    public async Task RecordCallAsync(string language, PhoneCall call, CancellationToken cancellationToken = default) =>
        await Table.UpsertEntityAsync(new TableEntity(Day(call.StartedAt), CallRowPrefix + call.CallSid)
        {
            ["Language"] = language,
            ["StartedAt"] = call.StartedAt,
            ["Outcome"] = (call.Outcome ?? CallOutcome.AbandonedWhileWaiting).ToString(),
            ["WaitedSeconds"] = call.WaitingTime?.TotalSeconds,
            ["TalkedSeconds"] = call.TalkTime?.TotalSeconds,
        }, TableUpdateMode.Replace, cancellationToken);

    public async Task<IReadOnlyList<CallStatistic>> ListCallsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey ge {Day(from)} and PartitionKey le {Day(to)} and RowKey ge {CallRowPrefix} and RowKey lt {CallRowEnd}");
        var result = new List<CallStatistic>();
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            var started = e.GetDateTimeOffset("StartedAt") ?? default;
            if (started >= from && started <= to && Enum.TryParse<CallOutcome>(e.GetString("Outcome"), out var outcome))
            {
                result.Add(new CallStatistic(e.GetString("Language") ?? "", started, outcome,
                    Seconds(e.GetDouble("WaitedSeconds")), Seconds(e.GetDouble("TalkedSeconds"))));
            }
        }

        return result;
    }

    private static TimeSpan? Seconds(double? value) => value is { } s ? TimeSpan.FromSeconds(s) : null;

    public async Task<IReadOnlyList<ContactRecord>> ListAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {Day(from)} and PartitionKey le {Day(to)}");
        var result = new List<ContactRecord>();
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (e.RowKey.StartsWith(CallRowPrefix, StringComparison.Ordinal))
            {
                continue; // a phone call's figures, kept beside the contacts
            }

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

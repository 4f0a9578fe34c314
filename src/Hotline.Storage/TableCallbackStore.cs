using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Hotline.Callbacks;

namespace Hotline.Storage;

/// <summary>
/// Callback requests in one partition of <c>Callbacks</c>, so that a request and its index rows always change together
/// in one entity group transaction guarded by the request's ETag:
/// <list type="bullet">
/// <item><c>open-{id}</c>: an open request (a draft, waiting or released); the counsellor and board lists read this range.</item>
/// <item><c>due-{ticks}-{id}</c>: one per open request, keyed by <see cref="CallbackTiming.NextCheckAt"/>, so the
/// scheduler reads the requests due by now with one range query, however many wait for later windows.</item>
/// <item><c>closed-{id}</c>: a request once closed (moved out of the open range).</item>
/// <item><c>destroy-{id}</c>: written as the request closes, deleted once its secrets are destroyed: a destruction
/// that failed is found and done again.</item>
/// </list>
/// The number and code word are never here (<see cref="ICallbackSecrets"/>); the cover story and windows are.
/// Callback volumes are small (tens a day), well within one partition's throughput.
/// </summary>
public sealed class TableCallbackStore(StorageAccount account) : ICallbackStore
{
    private const string Partition = "callback";
    private const string OpenPrefix = "open-";
    private const string ClosedPrefix = "closed-";
    private const string DuePrefix = "due-";
    private const string DestroyPrefix = "destroy-";

    private TableClient Table => account.Table(TableNames.Callbacks);

    public async Task<bool> CreateAsync(CallbackRequest request, CancellationToken cancellationToken = default)
    {
        CheckId(request.Id);
        if (request.Status == CallbackStatus.Closed)
        {
            throw new ArgumentException("A new callback request cannot be closed.", nameof(request));
        }

        var due = DueKey(request);
        try
        {
            await Table.SubmitTransactionAsync(
            [
                new(TableTransactionActionType.Add, ToEntity(request, OpenPrefix, due)),
                new(TableTransactionActionType.Add, DueEntity(due, request.Id)),
            ], cancellationToken);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    public async Task<CallbackRequest?> FindAsync(string requestId, CancellationToken cancellationToken = default)
    {
        if (!IsValidId(requestId))
        {
            return null;
        }

        var open = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, OpenPrefix + requestId, cancellationToken: cancellationToken);
        if (open.HasValue)
        {
            return ToRequest(open.Value!);
        }

        var closed = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, ClosedPrefix + requestId, cancellationToken: cancellationToken);
        return closed.HasValue ? ToRequest(closed.Value!) : null;
    }

    public async Task<bool> TryUpdateAsync(CallbackRequest request, CancellationToken cancellationToken = default)
    {
        CheckId(request.Id);
        ArgumentNullException.ThrowIfNull(request.Version);

        // The stored row names its due row, which goes or moves with it.
        var current = await Table.GetEntityIfExistsAsync<TableEntity>(
            Partition, OpenPrefix + request.Id, select: ["DueKey"], cancellationToken: cancellationToken);
        if (!current.HasValue || current.Value!.ETag.ToString() != request.Version)
        {
            return false;
        }

        var version = new ETag(request.Version);
        var oldDue = current.Value.GetString("DueKey")!;
        var actions = new List<TableTransactionAction>();
        if (request.Status == CallbackStatus.Closed)
        {
            actions.Add(new(TableTransactionActionType.Delete, new TableEntity(Partition, OpenPrefix + request.Id), version));
            actions.Add(new(TableTransactionActionType.Add, ToEntity(request, ClosedPrefix, null)));
            actions.Add(new(TableTransactionActionType.Delete, new TableEntity(Partition, oldDue), ETag.All));
            actions.Add(new(TableTransactionActionType.UpsertReplace, new TableEntity(Partition, DestroyPrefix + request.Id)));
        }
        else
        {
            var newDue = DueKey(request);
            actions.Add(new(TableTransactionActionType.UpdateReplace, ToEntity(request, OpenPrefix, newDue), version));
            if (newDue != oldDue)
            {
                actions.Add(new(TableTransactionActionType.Delete, new TableEntity(Partition, oldDue), ETag.All));
                actions.Add(new(TableTransactionActionType.Add, DueEntity(newDue, request.Id)));
            }
        }

        try
        {
            await Table.SubmitTransactionAsync(actions, cancellationToken);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status is 412 or 404 or 409)
        {
            return false; // changed (or closed) by someone else since it was read
        }
    }

    public async Task<IReadOnlyList<CallbackRequest>> ListDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var ids = new List<string>();
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {Partition} and RowKey ge {DuePrefix} and RowKey lt {DuePrefix + Ticks(now.AddTicks(1))}");
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, select: ["RequestId"], cancellationToken: cancellationToken))
        {
            ids.Add(e.GetString("RequestId")!);
        }

        var found = await Task.WhenAll(ids.Distinct(StringComparer.Ordinal).Select(async id =>
        {
            var open = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, OpenPrefix + id, cancellationToken: cancellationToken);
            return open.HasValue ? ToRequest(open.Value!) : null;
        }));
        return found.OfType<CallbackRequest>().ToList();
    }

    public Task<IReadOnlyList<CallbackRequest>> ListOpenAsync(string? language = null, CancellationToken cancellationToken = default) =>
        QueryOpenAsync(language is null ? null : TableClient.CreateQueryFilter($"Language eq {language}"), cancellationToken);

    public Task<IReadOnlyList<CallbackRequest>> ListReleasedToAsync(string counsellorId, CancellationToken cancellationToken = default) =>
        QueryOpenAsync(TableClient.CreateQueryFilter($"Status eq {nameof(CallbackStatus.Released)} and ReleasedTo eq {counsellorId}"), cancellationToken);

    public async Task<IReadOnlyList<CallbackRequest>> ListClosedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        var result = new List<CallbackRequest>();
        await foreach (var e in Table.QueryAsync<TableEntity>(ClosedFilter($"ClosedAt ge {since}"), cancellationToken: cancellationToken))
        {
            result.Add(ToRequest(e));
        }

        return result;
    }

    public async Task<int> ForgetClosedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        var pending = (await ListSecretsToDestroyAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var forgotten = 0;
        await foreach (var e in Table.QueryAsync<TableEntity>(ClosedFilter($"ClosedAt lt {before}"), select: ["RowKey"], cancellationToken: cancellationToken))
        {
            if (!pending.Contains(e.RowKey[ClosedPrefix.Length..]))
            {
                await Table.DeleteEntityAsync(Partition, e.RowKey, ETag.All, cancellationToken);
                forgotten++;
            }
        }

        return forgotten;
    }

    private static string ClosedFilter(FormattableString extra) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and RowKey ge {ClosedPrefix} and RowKey lt {Next(ClosedPrefix)}")
        + " and " + TableClient.CreateQueryFilter(extra);

    public async Task<IReadOnlyList<string>> ListSecretsToDestroyAsync(CancellationToken cancellationToken = default)
    {
        var ids = new List<string>();
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {Partition} and RowKey ge {DestroyPrefix} and RowKey lt {Next(DestroyPrefix)}");
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            ids.Add(e.RowKey[DestroyPrefix.Length..]);
        }

        return ids;
    }

    public async Task SecretsDestroyedAsync(string requestId, CancellationToken cancellationToken = default)
    {
        CheckId(requestId);
        await Table.DeleteEntityAsync(Partition, DestroyPrefix + requestId, ETag.All, cancellationToken);
    }

    private async Task<IReadOnlyList<CallbackRequest>> QueryOpenAsync(string? extra, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and RowKey ge {OpenPrefix} and RowKey lt {Next(OpenPrefix)}");
        if (extra is not null)
        {
            filter += " and " + extra;
        }

        var result = new List<CallbackRequest>();
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            result.Add(ToRequest(e));
        }

        return result;
    }

    /// <summary>The due row's key: its next check time, in ticks, so row order is time order; then the id.</summary>
    private static string DueKey(CallbackRequest request) =>
        DuePrefix + Ticks(CallbackTiming.NextCheckAt(request) ?? request.ExpiresAt) + "-" + request.Id;

    private static string Ticks(DateTimeOffset at) => at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);

    // The first key after every key with this prefix (its last character, '-', moved on by one).
    private static string Next(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);

    private static TableEntity DueEntity(string key, string requestId) => new(Partition, key) { ["RequestId"] = requestId };

    /// <summary>Ids go into row keys and into secret names: letters, digits and '-' only.</summary>
    public static bool IsValidId(string? id) =>
        id is { Length: > 0 and <= 100 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    private static void CheckId(string id)
    {
        if (!IsValidId(id))
        {
            throw new ArgumentException("A callback request id is letters, digits and '-' only.", nameof(id));
        }
    }

    private static TableEntity ToEntity(CallbackRequest r, string prefix, string? dueKey) => new(Partition, prefix + r.Id)
    {
        ["ConversationId"] = r.ConversationId,
        ["Language"] = r.Language,
        ["RequestedAt"] = r.RequestedAt,
        ["ExpiresAt"] = r.ExpiresAt,
        ["Channel"] = r.Channel,
        ["TimeZone"] = r.TimeZone,
        ["Windows"] = JsonSerializer.Serialize(r.Windows),
        ["MayLeaveMessage"] = r.MayLeaveMessage,
        ["CoverStory"] = r.CoverStory,
        ["Urgent"] = r.Urgent,
        ["Status"] = r.Status.ToString(),
        ["SetupStep"] = r.SetupStep,
        ["ReleasedTo"] = r.ReleasedTo,
        ["ReleasedAt"] = r.ReleasedAt,
        ["Attempts"] = JsonSerializer.Serialize(r.Attempts),
        ["NextAttemptAfter"] = r.NextAttemptAfter,
        ["ClosedAs"] = r.ClosedAs?.ToString(),
        ["ClosedAt"] = r.ClosedAt,
        ["DueKey"] = dueKey,
    };

    private static CallbackRequest ToRequest(TableEntity e)
    {
        var prefix = e.RowKey.StartsWith(OpenPrefix, StringComparison.Ordinal) ? OpenPrefix : ClosedPrefix;
        return new CallbackRequest(
            e.RowKey[prefix.Length..],
            e.GetString("ConversationId") ?? string.Empty,
            e.GetString("Language") ?? string.Empty,
            e.GetDateTimeOffset("RequestedAt") ?? default,
            e.GetDateTimeOffset("ExpiresAt") ?? default)
        {
            Channel = e.GetString("Channel") ?? string.Empty,
            TimeZone = e.GetString("TimeZone") ?? "UTC",
            Windows = JsonSerializer.Deserialize<List<SafeWindow>>(e.GetString("Windows") ?? "[]") ?? [],
            MayLeaveMessage = e.GetBoolean("MayLeaveMessage") ?? false,
            CoverStory = e.GetString("CoverStory") ?? string.Empty,
            Urgent = e.GetBoolean("Urgent") ?? false,
            Status = Enum.Parse<CallbackStatus>(e.GetString("Status")!),
            SetupStep = e.GetString("SetupStep"),
            ReleasedTo = e.GetString("ReleasedTo"),
            ReleasedAt = e.GetDateTimeOffset("ReleasedAt"),
            Attempts = JsonSerializer.Deserialize<List<CallbackAttempt>>(e.GetString("Attempts") ?? "[]") ?? [],
            NextAttemptAfter = e.GetDateTimeOffset("NextAttemptAfter"),
            ClosedAs = e.GetString("ClosedAs") is { } closedAs ? Enum.Parse<CallbackClosure>(closedAs) : null,
            ClosedAt = e.GetDateTimeOffset("ClosedAt"),
            Version = e.ETag.ToString(),
        };
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Hotline.Escalations;
using Hotline.Secrets;

namespace Hotline.Storage;

/// <summary>
/// The escalation log in <c>EscalationLog</c>: one partition, an entity per entry (row key: the sequence, zero-padded,
/// so stored order is chain order) and a "head" entity naming the last entry. An entry and the head's move are one
/// entity group transaction guarded by the head's ETag, so concurrent writers never fork the chain or reuse a number.
/// </summary>
/// The head is sealed with a key from the secret store: without the key, nobody can rebuild the chain after an edit
/// (or cut its tail) and leave a head that verifies.
public sealed class TableEscalationLog(StorageAccount account, ISecretStore secrets, TimeProvider time) : IEscalationLog
{
    public static readonly SecretDefinition SealKeySecret = new("EscalationLogKey", GeneratedBytes: 32);

    private const string Partition = "chain";
    private const string HeadRow = "head";
    private const int MaxAttempts = 20;

    private TableClient Table => account.Table(TableNames.EscalationLog);

    public async Task<EscalationLogEntry> AppendAsync(
        string escalationId, EscalationStep step, string actor, IReadOnlyDictionary<string, string>? details = null,
        CancellationToken cancellationToken = default)
    {
        details ??= new Dictionary<string, string>();
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var head = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, HeadRow, cancellationToken: cancellationToken);
            var (sequence, previous) = head.HasValue
                ? (head.Value!.GetInt64("Sequence") ?? 0, head.Value.GetString("Hash") ?? EscalationChain.Genesis)
                : (0L, EscalationChain.Genesis);
            // Whole milliseconds: what every table store keeps exactly, so the hash reads back the same.
            var now = time.GetUtcNow();
            var at = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
            var entry = new EscalationLogEntry(sequence + 1, at, escalationId, step, actor, details, previous, string.Empty);
            entry = entry with { Hash = EscalationChain.HashOf(entry.Sequence, entry.At, escalationId, step, actor, details, previous) };

            var newHead = new TableEntity(Partition, HeadRow)
            {
                ["Sequence"] = entry.Sequence, ["Hash"] = entry.Hash, ["Seal"] = await SealAsync(entry.Sequence, entry.Hash, cancellationToken),
            };
            TableTransactionAction moveHead = head.HasValue
                ? new(TableTransactionActionType.UpdateReplace, newHead, head.Value!.ETag)
                : new(TableTransactionActionType.Add, newHead);
            try
            {
                await Table.SubmitTransactionAsync([new(TableTransactionActionType.Add, ToEntity(entry)), moveHead], cancellationToken);
                return entry;
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
            {
                // Another writer appended first: read the new head and try again.
                await Task.Delay(Random.Shared.Next(1, 5 * (attempt + 1)), cancellationToken);
            }
        }

        throw new InvalidOperationException($"Could not append to the escalation log after {MaxAttempts} attempts.");
    }

    public async Task<(IReadOnlyList<EscalationLogEntry> Entries, (long Sequence, string Hash)? Head)> ReadAsync(CancellationToken cancellationToken = default)
    {
        var entries = new List<EscalationLogEntry>();
        (long, string)? head = null;
        await foreach (var e in Table.QueryAsync<TableEntity>(x => x.PartitionKey == Partition, cancellationToken: cancellationToken))
        {
            if (e.RowKey == HeadRow)
            {
                var (sequence, hash) = (e.GetInt64("Sequence") ?? 0, e.GetString("Hash") ?? string.Empty);
                var expected = await SealAsync(sequence, hash, cancellationToken);
                var sealedHere = e.GetString("Seal") is { } seal
                    && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(seal), Encoding.ASCII.GetBytes(expected));
                head = (sequence, sealedHere ? hash : EscalationChain.UnsealedPrefix + hash);
                continue;
            }

            entries.Add(ToEntry(e));
        }

        return (entries, head);
    }

    // An entity someone rewrote with other types still reads back, as an entry that cannot verify, so the check
    // reports where the chain breaks instead of failing to read it.
    private static EscalationLogEntry ToEntry(TableEntity e)
    {
        try
        {
            return new EscalationLogEntry(
                e.GetInt64("Sequence") ?? -1,
                e.GetDateTimeOffset("At") ?? default,
                e.GetString("EscalationId") ?? string.Empty,
                Enum.TryParse<EscalationStep>(e.GetString("Step"), out var step) ? step : (EscalationStep)(-1),
                e.GetString("Actor") ?? string.Empty,
                JsonSerializer.Deserialize<Dictionary<string, string>>(e.GetString("Details") ?? "{}") ?? [],
                e.GetString("PreviousHash") ?? string.Empty,
                e.GetString("Hash") ?? string.Empty);
        }
        catch (Exception ex) when (ex is InvalidOperationException or JsonException or FormatException)
        {
            var sequence = long.TryParse(e.RowKey, out var fromKey) ? fromKey : -1;
            return new EscalationLogEntry(sequence, default, string.Empty, (EscalationStep)(-1), string.Empty,
                new Dictionary<string, string>(), string.Empty, "unreadable");
        }
    }

    private async Task<string> SealAsync(long sequence, string hash, CancellationToken cancellationToken)
    {
        var key = Convert.FromBase64String(await secrets.GetAsync(SealKeySecret.Name, cancellationToken));
        return Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{sequence}.{hash}")));
    }

    private static TableEntity ToEntity(EscalationLogEntry entry) => new(Partition, entry.Sequence.ToString("D19", CultureInfo.InvariantCulture))
    {
        ["Sequence"] = entry.Sequence,
        ["At"] = entry.At,
        ["EscalationId"] = entry.EscalationId,
        ["Step"] = entry.Step.ToString(),
        ["Actor"] = entry.Actor,
        ["Details"] = JsonSerializer.Serialize(entry.Details),
        ["PreviousHash"] = entry.PreviousHash,
        ["Hash"] = entry.Hash,
    };
}

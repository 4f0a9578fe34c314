using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Hotline.Escalations;

/// <summary>Every step an escalation goes through; each is one entry of the log.</summary>
public enum EscalationStep
{
    Raised,
    ConsentRecorded,
    ExceptionApproved,
    Sent,
    DeliveryFailed,
    Acknowledged,
    DeadlineMissed,
    FailedOver,
    Closed,

    /// <summary>Someone read the packet sent to an agency (the agency itself, or a supervisor).</summary>
    Viewed,
}

/// <summary>
/// One entry of the escalation log: who did what to which escalation, when; ids, categories and actors only, never
/// personal data. <see cref="Hash"/> covers the entry's content and the previous entry's hash, so the entries form a
/// chain in which an edited, deleted or reordered entry shows.
/// </summary>
public sealed record EscalationLogEntry(
    long Sequence,
    DateTimeOffset At,
    string EscalationId,
    EscalationStep Step,
    string Actor,
    IReadOnlyDictionary<string, string> Details,
    string PreviousHash,
    string Hash);

/// <summary>The outcome of checking the chain: intact, or the first entry where it breaks and why.</summary>
public sealed record ChainVerification(bool Intact, int Entries, long? FirstBrokenSequence, string? Problem)
{
    public static ChainVerification Ok(int entries) => new(true, entries, null, null);
}

/// <summary>The append-only, hash-chained log of escalations.</summary>
public interface IEscalationLog
{
    /// <summary>Appends an entry after the current last one (atomically: two writers never fork the chain).</summary>
    Task<EscalationLogEntry> AppendAsync(
        string escalationId, EscalationStep step, string actor, IReadOnlyDictionary<string, string>? details = null,
        CancellationToken cancellationToken = default);

    /// <summary>Every entry in stored order, and the chain's recorded head (last sequence and hash; null when empty).</summary>
    Task<(IReadOnlyList<EscalationLogEntry> Entries, (long Sequence, string Hash)? Head)> ReadAsync(CancellationToken cancellationToken = default);
}

/// <summary>How entries are hashed and how the chain is checked.</summary>
public static class EscalationChain
{
    /// <summary>The "previous hash" of the first entry.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>Marks a head whose seal (the store's keyed signature) does not verify.</summary>
    public const string UnsealedPrefix = "unsealed:";

    /// <summary>SHA-256 over a canonical form of the entry's content and the previous hash, lower-case hex.</summary>
    public static string HashOf(
        long sequence, DateTimeOffset at, string escalationId, EscalationStep step, string actor,
        IReadOnlyDictionary<string, string> details, string previousHash)
    {
        var canonical = JsonSerializer.Serialize(new object[]
        {
            sequence,
            at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            escalationId,
            step.ToString(),
            actor,
            details.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => new[] { d.Key, d.Value }).ToArray(),
            previousHash,
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>
    /// Walks the entries in stored order: each must be the next in sequence, name the previous entry's hash and hash
    /// to its own; the last must match the recorded head (so a removed tail shows too).
    /// </summary>
    public static ChainVerification Verify(IReadOnlyList<EscalationLogEntry> entries, (long Sequence, string Hash)? head)
    {
        var previous = Genesis;
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var expected = i + 1L;
            if (e.Sequence != expected)
            {
                return new(false, entries.Count, expected,
                    e.Sequence > expected ? $"entry {expected} is missing" : $"entry {e.Sequence} is out of place (found where entry {expected} belongs)");
            }

            if (e.PreviousHash != previous)
            {
                return new(false, entries.Count, e.Sequence, $"entry {e.Sequence} does not follow entry {expected - 1} (an entry was removed or reordered)");
            }

            if (HashOf(e.Sequence, e.At, e.EscalationId, e.Step, e.Actor, e.Details, e.PreviousHash) != e.Hash)
            {
                return new(false, entries.Count, e.Sequence, $"entry {e.Sequence} was altered (its content no longer matches its hash)");
            }

            previous = e.Hash;
        }

        if (head is { } h0 && h0.Hash.StartsWith(UnsealedPrefix, StringComparison.Ordinal))
        {
            return new(false, entries.Count, h0.Sequence,
                "the log's head is not sealed with this hotline's key: the chain may have been rebuilt or cut");
        }

        var last = entries.Count == 0 ? ((long Sequence, string Hash)?)null : (entries[^1].Sequence, entries[^1].Hash);
        if (head != last)
        {
            return new(false, entries.Count, (last?.Sequence ?? 0) + 1,
                head is { } h && h.Sequence > (last?.Sequence ?? 0)
                    ? $"entries after {last?.Sequence ?? 0} are missing (the log recorded {h.Sequence})"
                    : "the log's recorded head does not match its last entry");
        }

        return ChainVerification.Ok(entries.Count);
    }
}

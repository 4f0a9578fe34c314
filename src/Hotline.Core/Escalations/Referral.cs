namespace Hotline.Escalations;

public static class ReferralStatuses
{
    public const string Queued = "queued";
    public const string Sent = "sent";
    public const string Acknowledged = "acknowledged";

    /// <summary>Not acknowledged (or not delivered) within the agency's deadline; failed over where possible.</summary>
    public const string Overdue = "overdue";
}

/// <summary>One referral of an escalation to one agency, and how far it got.</summary>
public sealed record Referral
{
    public required string Id { get; init; }

    public required string EscalationId { get; init; }

    public required string AgencyId { get; init; }

    public string Status { get; init; } = ReferralStatuses.Queued;

    public DateTimeOffset CreatedAt { get; init; }

    public string? CreatedBy { get; init; }

    public DateTimeOffset? SentAt { get; init; }

    /// <summary>When the agency must have acknowledged by (set when it is delivered).</summary>
    public DateTimeOffset? AcknowledgeBy { get; init; }

    public DateTimeOffset? AcknowledgedAt { get; init; }

    /// <summary>When the deadline's consequences (failover, the supervisor's alert) were carried out.</summary>
    public DateTimeOffset? FailoverHandledAt { get; init; }

    /// <summary>When the agency's duty phones were texted about this referral (once, delivered or not).</summary>
    public DateTimeOffset? DutyPhonesAlertedAt { get; init; }

    public string? Version { get; init; }

    public static string NewId() => "r-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(10));

    /// <summary>Whether the text has the shape of a referral id (so nothing else is looked up as one).</summary>
    public static bool IsWellFormedId(string? id) =>
        id is { Length: 22 } && id.StartsWith("r-", StringComparison.Ordinal) && !id.AsSpan(2).ContainsAnyExcept("0123456789abcdef");
}

public interface IReferralStore
{
    Task<Referral?> FindAsync(string referralId, CancellationToken cancellationToken = default);

    Task CreateAsync(Referral referral, CancellationToken cancellationToken = default);

    Task<bool> TryUpdateAsync(Referral referral, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Referral>> ListAsync(string? agencyId = null, CancellationToken cancellationToken = default);

    /// <summary>Referrals not yet settled: queued, sent, or overdue with the failover still to do.</summary>
    Task<IReadOnlyList<Referral>> ListUnsettledAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Keeps the packet as it is sent to the agency (personal data: encrypted at rest), once: the first one recorded
    /// stays, and is returned, so every delivery and every look shows the same packet.
    /// </summary>
    Task<string> RecordPacketAsync(string referralId, string packet, CancellationToken cancellationToken = default);

    /// <summary>The packet recorded for the referral, or null before it was first sent.</summary>
    Task<string?> FindPacketAsync(string referralId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Remembers a signed receipt's <c>webhook-id</c> for the agency; false when it was seen before (a replay). Kept
    /// for good, so a copy is refused however long after (its timestamp would be refused after a few minutes too).
    /// </summary>
    Task<bool> TryRecordReceiptIdAsync(string agencyId, string webhookId, DateTimeOffset at, CancellationToken cancellationToken = default);
}

namespace Hotline.Escalations;

/// <summary>
/// A partner agency that acts on referrals: its mandate and reach, where referrals are delivered (a webhook signed
/// with the agency's own secret, kept in the secret store as <see cref="SecretNameFor"/>), the duty phones alerted,
/// the backup agency, and how soon it must acknowledge.
/// </summary>
public sealed record PartnerAgency(
    string Id,
    string Name,
    string Mandate,
    IReadOnlyList<string> Areas,
    IReadOnlyList<string> Languages,
    string Hours,
    Uri WebhookUrl,
    IReadOnlyList<string> AlertPhones,
    string? BackupAgencyId,
    TimeSpan AckDeadline)
{
    public static readonly TimeSpan DefaultAckDeadline = TimeSpan.FromMinutes(15);

    public static string SecretNameFor(string agencyId) => $"Partner-{agencyId}-WebhookSecret";
}

public interface IPartnerDirectory
{
    Task<IReadOnlyList<PartnerAgency>> ListAsync(CancellationToken cancellationToken = default);

    Task<PartnerAgency?> FindAsync(string agencyId, CancellationToken cancellationToken = default);

    Task SaveAsync(PartnerAgency agency, CancellationToken cancellationToken = default);
}

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

    public string? Version { get; init; }

    public static string NewId() => "r-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(10));
}

public interface IReferralStore
{
    Task<Referral?> FindAsync(string referralId, CancellationToken cancellationToken = default);

    Task CreateAsync(Referral referral, CancellationToken cancellationToken = default);

    Task<bool> TryUpdateAsync(Referral referral, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Referral>> ListAsync(string? agencyId = null, CancellationToken cancellationToken = default);
}

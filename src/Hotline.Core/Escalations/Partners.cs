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

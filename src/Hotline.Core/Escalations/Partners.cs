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

    /// <summary>The longest agency id; every id is lower-case letters, digits and '-' (<see cref="IsWellFormedId"/>).</summary>
    public const int MaxIdLength = 64;

    /// <summary>Limits of a directory entry, so that an entry always fits its table row.</summary>
    public const int MaxNameLength = 200;
    public const int MaxTextLength = 2000; // mandate, hours
    public const int MaxListEntries = 50; // areas, languages
    public const int MaxListEntryLength = 100;
    public const int MaxAlertPhones = 10;
    public const int MaxWebhookUrlLength = 2000;
    public static readonly TimeSpan MaxAckDeadline = TimeSpan.FromDays(1);

    public const string IdRule = "1-64 lower-case letters, digits or '-'";

    public static string SecretNameFor(string agencyId) => $"Partner-{agencyId}-WebhookSecret";

    /// <summary>Whether the text has the shape of an agency id (so nothing else is looked up or stored as one).</summary>
    public static bool IsWellFormedId(string? id) =>
        id is { Length: > 0 and <= MaxIdLength } && !id.AsSpan().ContainsAnyExcept("abcdefghijklmnopqrstuvwxyz0123456789-");
}

public interface IPartnerDirectory
{
    Task<IReadOnlyList<PartnerAgency>> ListAsync(CancellationToken cancellationToken = default);

    Task<PartnerAgency?> FindAsync(string agencyId, CancellationToken cancellationToken = default);

    Task SaveAsync(PartnerAgency agency, CancellationToken cancellationToken = default);
}

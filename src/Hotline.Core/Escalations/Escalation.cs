namespace Hotline.Escalations;

/// <summary>What a partner needs to act, as the caller gave it. Personal data: stored encrypted, sent only as consented.</summary>
public sealed record EmergencyFacts(string? Location = null, string? Happening = null, string? AtRisk = null);

/// <summary>The caller's consent to share with one agency: who gave it, how, when, and which fields it covers.</summary>
public sealed record Consent(string AgencyId, string GivenBy, string How, DateTimeOffset At, IReadOnlyList<string> Covers, string RecordedBy);

/// <summary>A supervisor's approval to send without consent (immediate danger to life, a child at risk), with the reason.</summary>
public sealed record ExceptionApproval(string AgencyId, string Reason, DateTimeOffset At, IReadOnlyList<string> Covers, string ApprovedBy);

/// <summary>
/// An emergency raised on a conversation: its category, the facts a partner needs, the indicators ticked, and the
/// consents and exception approvals that say what may be sent to whom.
/// </summary>
public sealed record Escalation
{
    public static readonly IReadOnlyList<string> Categories =
        ["held-against-will", "violence-now", "medical", "child-at-risk", "suicide-risk", "other"];

    /// <summary>The categories that allow a supervisor to approve sending without consent.</summary>
    public static readonly IReadOnlyList<string> ExceptionCategories = ["held-against-will", "violence-now", "medical", "child-at-risk", "suicide-risk"];

    public const int MaxFactCharacters = 500;

    public required string Id { get; init; }

    public required string ConversationId { get; init; }

    public required string Source { get; init; }

    public required string RaisedBy { get; init; }

    public DateTimeOffset RaisedAt { get; init; }

    public required string Language { get; init; }

    /// <summary>Null until assessed (a danger word raises an emergency before anyone knows what it is).</summary>
    public string? Category { get; init; }

    public EmergencyFacts Facts { get; init; } = new();

    public IReadOnlyList<string> Indicators { get; init; } = [];

    public IReadOnlyList<Consent> Consents { get; init; } = [];

    public IReadOnlyList<ExceptionApproval> Exceptions { get; init; } = [];

    public string? Version { get; init; }

    /// <summary>
    /// The fields that may go to <paramref name="agencyId"/>: those the caller consented to for that agency, or,
    /// failing that, those a supervisor's exception approval covers. Empty: nothing may be sent.
    /// </summary>
    public IReadOnlyList<string> SendableTo(string agencyId) =>
        Consents.LastOrDefault(c => c.AgencyId == agencyId)?.Covers
        // An exception holds only while the emergency is still of a kind that allows one.
        ?? (Category is { } category && ExceptionCategories.Contains(category) ? Exceptions.LastOrDefault(e => e.AgencyId == agencyId)?.Covers : null)
        ?? [];
}

/// <summary>The fields a referral packet can carry; a consent or an approval names which of them it covers.</summary>
public static class ReferralFields
{
    public const string Category = "category";
    public const string Location = "location";
    public const string Happening = "happening";
    public const string AtRisk = "atRisk";
    public const string Language = "language";
    public const string Callback = "callback";

    public static readonly IReadOnlyList<string> All = [Category, Location, Happening, AtRisk, Language, Callback];
}

public interface IEscalationStore
{
    Task<Escalation?> FindAsync(string escalationId, CancellationToken cancellationToken = default);

    /// <summary>Creates it; false when it exists already.</summary>
    Task<bool> CreateAsync(Escalation escalation, CancellationToken cancellationToken = default);

    /// <summary>Saves a change made to the version read; false when someone changed it meanwhile.</summary>
    Task<bool> TryUpdateAsync(Escalation escalation, CancellationToken cancellationToken = default);
}

namespace Hotline.Conversations;

/// <summary>
/// What a counsellor records about a contact, with the caller's approval only; every field is optional. The lists
/// follow what hotlines in this field classify: call types, who is calling, and the ILO indicators of forced labour,
/// screened without interrogating.
/// </summary>
public sealed record Intake
{
    public const int MaxNoteCharacters = 2000;
    public const int MaxShortTextCharacters = 80;

    public static readonly IReadOnlyList<string> CallTypes =
    [
        "reporting-a-location", "reporting-trafficking", "after-the-fact", "shelter-information", "travel-or-work-abroad",
        "employment-agency-check", "missing-person", "family-violence", "misuse-or-threatening", "unspecified",
    ];

    public static readonly IReadOnlyList<string> CallerRoles = ["victim", "relative", "co-worker", "other-third-party"];

    public static readonly IReadOnlyList<string> Genders = ["female", "male", "other", "not-said"];

    public static readonly IReadOnlyList<string> AgeGroups = ["under-18", "18-24", "25-34", "35-49", "50-plus"];

    public static readonly IReadOnlyList<string> ExploitationForms =
    [
        "labour", "sexual", "domestic-servitude", "forced-criminality", "forced-begging", "forced-marriage", "organ-removal", "other",
    ];

    public static readonly IReadOnlyList<string> Sectors =
    [
        "agriculture", "construction", "domestic-work", "care", "hospitality", "manufacturing", "fishing", "cleaning",
        "transport", "sex-industry", "other",
    ];

    /// <summary>The ILO's eleven indicators of forced labour.</summary>
    public static readonly IReadOnlyList<string> ForcedLabourIndicators =
    [
        "abuse-of-vulnerability", "deception", "restriction-of-movement", "isolation", "physical-or-sexual-violence",
        "intimidation-and-threats", "retention-of-identity-documents", "withholding-of-wages", "debt-bondage",
        "abusive-working-and-living-conditions", "excessive-overtime",
    ];

    public static readonly IReadOnlyList<string> Sources =
    [
        "friend-or-family", "social-media", "poster-or-leaflet", "ngo", "authorities", "co-worker", "search-engine", "media", "other",
    ];

    public string? CallType { get; init; }

    public string? CallerRole { get; init; }

    public string? Gender { get; init; }

    public string? AgeGroup { get; init; }

    public string? Nationality { get; init; }

    public string? ExploitationForm { get; init; }

    public string? Sector { get; init; }

    public IReadOnlyList<string> Indicators { get; init; } = [];

    /// <summary>How the caller found the hotline (a monitoring indicator).</summary>
    public string? Source { get; init; }

    public string? Note { get; init; }

    public bool RepeatContact { get; init; }

    public bool ComplicatedCase { get; init; }

    public string? RecordedBy { get; init; }

    public DateTimeOffset RecordedAt { get; init; }

    /// <summary>The first problem with the values, naming the field; null when they are all acceptable.</summary>
    public string? Problem()
    {
        static string? OneOf(string field, string? value, IReadOnlyList<string> allowed) =>
            value is null || allowed.Contains(value) ? null : $"'{field}' must be one of: {string.Join(", ", allowed)}.";

        return OneOf("callType", CallType, CallTypes)
            ?? OneOf("callerRole", CallerRole, CallerRoles)
            ?? OneOf("gender", Gender, Genders)
            ?? OneOf("ageGroup", AgeGroup, AgeGroups)
            ?? OneOf("exploitationForm", ExploitationForm, ExploitationForms)
            ?? OneOf("sector", Sector, Sectors)
            ?? OneOf("source", Source, Sources)
            ?? Indicators.Select(i => OneOf("indicators", i, ForcedLabourIndicators)).FirstOrDefault(p => p is not null)
            ?? (Nationality is { Length: > MaxShortTextCharacters } ? $"'nationality' is longer than {MaxShortTextCharacters} characters." : null)
            ?? (Note is { Length: > MaxNoteCharacters } ? $"'note' is longer than {MaxNoteCharacters} characters." : null);
    }
}

namespace Hotline.Functions.Auth;

public static class Roles
{
    public const string Counsellor = "counsellor";
    public const string Supervisor = "supervisor";
    public const string Partner = "partner";

    public static IReadOnlyList<string> All { get; } = [Counsellor, Supervisor, Partner];
}

public static class Policies
{
    /// <summary>Counsellors, and supervisors (who also take conversations).</summary>
    public const string Counsellor = "counsellor";
    public const string Supervisor = "supervisor";
    public const string Partner = "partner";

    /// <summary>A partner agency (whose user id is the agency id) for its own referrals, or a supervisor for all.</summary>
    public const string PartnerOrSupervisor = "partner-or-supervisor";

    /// <summary>A partner agency acknowledging a referral: with its token, or a request signed with its webhook secret.</summary>
    public const string PartnerReceipt = "partner-receipt";
}

/// <summary>
/// How staff sign in. In Azure: OpenID Connect bearer tokens from Microsoft Entra ID (<c>Auth__Authority</c>,
/// <c>Auth__Audience</c>), roles in the <c>roles</c> claim (app roles), the counsellor id in <c>Auth__UserClaim</c>.
/// In Development without an authority: tokens from <c>POST /api/dev/token</c>, signed with a generated local key.
/// </summary>
/// <param name="ConsoleClientId">The staff pages' own (single-page application) registration at the authority.</param>
/// <param name="ConsoleScope">The scope the pages ask for to call the API; by default <c>{Audience}/.default</c>.</param>
public sealed record AuthSettings(string? Authority, string? Audience, string UserClaim, string? ConsoleClientId = null, string? ConsoleScope = null)
{
    public bool UsesDevTokens => Authority is null;

    /// <summary>The authority's origin, which the staff pages may call (to redeem the sign-in code).</summary>
    public string? AuthorityOrigin => Authority is null ? null : new Uri(Authority).GetLeftPart(UriPartial.Authority);
}

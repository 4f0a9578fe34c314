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
}

/// <summary>
/// How staff sign in. In Azure: OpenID Connect bearer tokens from Microsoft Entra ID (<c>Auth__Authority</c>,
/// <c>Auth__Audience</c>), roles in the <c>roles</c> claim (app roles), the counsellor id in <c>Auth__UserClaim</c>.
/// In Development without an authority: tokens from <c>POST /api/dev/token</c>, signed with a generated local key.
/// </summary>
public sealed record AuthSettings(string? Authority, string? Audience, string UserClaim)
{
    public bool UsesDevTokens => Authority is null;
}

using Hotline.Functions.Hosting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Hotline.Functions.Auth;

/// <summary>
/// <c>GET /api/auth/config</c>: how the staff pages sign in. In Development without an authority, the local sign-in
/// form; otherwise OpenID Connect (authorization code with PKCE) at the authority, with the endpoints read from its
/// metadata, so the pages need nothing but this answer.
/// </summary>
public static class SignInConfigEndpoint
{
    internal static async Task<Results<Ok<SignInConfig>, ProblemHttpResult>> GetAsync(
        AuthSettings settings, IOptionsMonitor<JwtBearerOptions> jwt, IHostEnvironment environment, CancellationToken ct)
    {
        if (settings.UsesDevTokens)
        {
            return environment.IsDevelopment()
                ? TypedResults.Ok(new SignInConfig("development"))
                : TypedResults.Problem("Sign-in is not configured: set Auth__Authority and Auth__Audience.", statusCode: 503);
        }

        if (settings.ConsoleClientId is null)
        {
            return TypedResults.Problem(
                "The staff pages cannot sign in: set Auth__ConsoleClientId to their application registration's client id.", statusCode: 503);
        }

        var metadata = await jwt.Get(JwtBearerDefaults.AuthenticationScheme).ConfigurationManager!.GetConfigurationAsync(ct);
        return TypedResults.Ok(new SignInConfig(
            "oidc",
            metadata.AuthorizationEndpoint,
            metadata.TokenEndpoint,
            string.IsNullOrEmpty(metadata.EndSessionEndpoint) ? null : metadata.EndSessionEndpoint,
            settings.ConsoleClientId,
            settings.ConsoleScope ?? settings.Audience!.TrimEnd('/') + "/.default"));
    }
}

public sealed record SignInConfig(
    string Mode,
    string? AuthorizationEndpoint = null,
    string? TokenEndpoint = null,
    string? EndSessionEndpoint = null,
    string? ClientId = null,
    string? Scope = null);

using System.Security.Claims;
using Hotline.Functions.Hosting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.IdentityModel.Tokens;

namespace Hotline.Functions.Auth;

public static class AuthRegistration
{
    public static IServiceCollection AddHotlineAuth(this IServiceCollection services, AuthSettings settings)
    {
        services.AddSingleton(settings);
        if (settings.UsesDevTokens)
        {
            services.AddSingleton<DevTokenIssuer>();
            services.AddSingleton(DevTokenIssuer.SigningKeySecret);
        }

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer()
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, PartnerSignatureHandler>(PartnerSignatureHandler.SchemeName, null);
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IServiceProvider>((options, sp) =>
            {
                options.MapInboundClaims = false;
                options.TokenValidationParameters.NameClaimType = settings.UserClaim;
                options.TokenValidationParameters.RoleClaimType = "roles";
                if (settings.UsesDevTokens)
                {
                    var issuer = sp.GetRequiredService<DevTokenIssuer>();
                    options.TokenValidationParameters.ValidIssuer = DevTokenIssuer.Issuer;
                    options.TokenValidationParameters.ValidAudience = DevTokenIssuer.Audience;
                    options.TokenValidationParameters.IssuerSigningKeyResolver = (_, _, _, _) => [issuer.SigningKey()];
                }
                else
                {
                    options.Authority = settings.Authority;
                    options.Audience = settings.Audience;
                }
            });

        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Counsellor, p => p.RequireRole(Roles.Counsellor, Roles.Supervisor))
            .AddPolicy(Policies.Supervisor, p => p.RequireRole(Roles.Supervisor))
            .AddPolicy(Policies.Partner, p => p.RequireRole(Roles.Partner))
            .AddPolicy(Policies.PartnerOrSupervisor, p => p.RequireRole(Roles.Partner, Roles.Supervisor))
            .AddPolicy(Policies.PartnerReceipt, p => p
                .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme, PartnerSignatureHandler.SchemeName)
                .RequireRole(Roles.Partner));
        return services;
    }

    /// <summary>The signed-in user's counsellor id (the configured user claim), or null.</summary>
    public static string? UserId(this ClaimsPrincipal user) => user.Identity?.Name;

    /// <summary><c>POST /api/dev/token</c>: a sign-in token for local use (Development only).</summary>
    internal static Results<Ok<DevTokenResponse>, ProblemHttpResult> IssueDevToken(
        DevTokenRequest? request, DevTokenIssuer issuer)
    {
        if (request is null || string.IsNullOrWhiteSpace(request.User) || request.User.Length > 64)
        {
            return TypedResults.Problem("'user' is required (at most 64 characters).", statusCode: 400);
        }

        var roles = request.Roles ?? [];
        if (roles.Count == 0 || roles.Any(r => !Roles.All.Contains(r)))
        {
            return TypedResults.Problem(
                $"'roles' must list one or more of: {string.Join(", ", Roles.All)}.", statusCode: 400);
        }

        return TypedResults.Ok(new DevTokenResponse(issuer.Issue(request.User.Trim(), roles)));
    }
}

public sealed record DevTokenRequest(string? User, IReadOnlyList<string>? Roles);

public sealed record DevTokenResponse(string Token);

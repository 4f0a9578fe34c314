using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Hotline.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hotline.Tests.Auth;

/// <summary>
/// A loopback HTTPS stand-in for a Microsoft Entra ID tenant as a resource API sees it: the v2.0 OpenID configuration
/// document, the signing keys it points to, and tokens signed with those keys (or with a key it does not publish).
/// </summary>
public sealed class OpenIdProviderDouble : IAsyncDisposable
{
    private const string Tenant = "11111111-2222-3333-4444-555555555555";
    private readonly RSA _signingKey = RSA.Create(2048);
    private WebApplication _app = null!;

    public X509Certificate2 Certificate { get; } = TestCertificates.SelfSignedLoopback();

    /// <summary>The value for <c>Auth__Authority</c>.</summary>
    public string Authority { get; private set; } = null!;

    public int MetadataRequests { get; private set; }

    /// <summary>Who signs in at the authorize endpoint (no login page: the double signs this person in at once).</summary>
    public (string User, string[] Roles) SignsIn { get; set; } = ("oksana", ["counsellor"]);

    /// <summary>The audience of the access tokens the token endpoint issues.</summary>
    public string Audience { get; set; } = "api://hotline-test";

    public int Logouts { get; private set; }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, PendingCode> _codes = new();

    private sealed record PendingCode(string ClientId, string RedirectUri, string Challenge, string User, string[] Roles);

    public static async Task<OpenIdProviderDouble> StartAsync()
    {
        var provider = new OpenIdProviderDouble();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(provider.Certificate)));
        provider._app = builder.Build();
        provider._app.MapGet($"/{Tenant}/v2.0/.well-known/openid-configuration", provider.Metadata);
        provider._app.MapGet($"/{Tenant}/discovery/v2.0/keys", provider.Keys);
        provider._app.MapGet($"/{Tenant}/oauth2/v2.0/authorize", provider.Authorize);
        provider._app.MapPost($"/{Tenant}/oauth2/v2.0/token", (Func<HttpContext, Task<IResult>>)provider.RedeemAsync);
        provider._app.MapGet($"/{Tenant}/oauth2/v2.0/logout", provider.Logout);
        await provider._app.StartAsync();
        provider.Authority = provider._app.Urls.First().TrimEnd('/') + $"/{Tenant}/v2.0";
        return provider;
    }

    /// <summary>The app's settings for signing staff in at this authority.</summary>
    public Dictionary<string, string?> AppSettings(string? consoleClientId = null) => new()
    {
        ["Auth:Authority"] = Authority,
        ["Auth:Audience"] = Audience,
        ["Auth:UserClaim"] = "preferred_username",
        ["Auth:ConsoleClientId"] = consoleClientId,
    };

    /// <summary>Makes the app's token validation fetch this authority's metadata and keys over its self-signed HTTPS.</summary>
    public void TrustedBy(WorkerSetup app) =>
        app.Services.PostConfigure<Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerOptions>(
            Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerDefaults.AuthenticationScheme, o => o.BackchannelHttpHandler = TrustingHandler());

    /// <summary>A handler for the app's metadata requests that trusts this double's certificate only.</summary>
    public HttpMessageHandler TrustingHandler() => new HttpClientHandler
    {
        ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == Certificate.Thumbprint,
    };

    /// <summary>An access token as Entra ID issues it for the API: <c>roles</c> from app roles, the user's name.</summary>
    public string Token(
        string user, string[] roles, string audience, TimeSpan? lifetime = null, bool signedByUnknownKey = false)
    {
        var now = DateTime.UtcNow;
        var expires = now + (lifetime ?? TimeSpan.FromHours(1));
        using var otherKey = RSA.Create(2048);
        var key = signedByUnknownKey ? new RsaSecurityKey(otherKey) { KeyId = "unknown" } : new RsaSecurityKey(_signingKey) { KeyId = "k1" };
        var claims = new List<Claim> { new("preferred_username", user), new("tid", Tenant) };
        claims.AddRange(roles.Select(r => new Claim("roles", r)));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Authority,
            Audience = audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = expires.AddHours(-2) < now ? expires.AddHours(-2) : now.AddMinutes(-1),
            NotBefore = expires.AddHours(-2) < now ? expires.AddHours(-2) : now.AddMinutes(-1),
            Expires = expires,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
    }

    // The authorization endpoint: signs SignsIn in and returns to the page with a code bound to its PKCE challenge.
    private IResult Authorize(HttpRequest request)
    {
        var q = request.Query;
        if (q["response_type"] != "code" || q["code_challenge_method"] != "S256" || string.IsNullOrEmpty(q["code_challenge"]))
        {
            return Results.BadRequest("authorization code with S256 PKCE only");
        }

        var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24));
        _codes[code] = new PendingCode(q["client_id"]!, q["redirect_uri"]!, q["code_challenge"]!, SignsIn.User, SignsIn.Roles);
        return Results.Redirect($"{q["redirect_uri"]}?code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(q["state"]!)}");
    }

    // The token endpoint, as a single-page application calls it: a cross-origin form post with the PKCE verifier.
    private async Task<IResult> RedeemAsync(HttpContext http)
    {
        http.Response.Headers.AccessControlAllowOrigin = http.Request.Headers.Origin.ToString();
        var form = await http.Request.ReadFormAsync();
        if (!_codes.TryRemove(form["code"].ToString(), out var pending)
            || pending.ClientId != form["client_id"] || pending.RedirectUri != form["redirect_uri"]
            || Base64UrlEncoder.Encode(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(form["code_verifier"].ToString()))) != pending.Challenge)
        {
            return Results.Json(new { error = "invalid_grant", error_description = "The code, client, redirect or verifier does not match." }, statusCode: 400);
        }

        return Results.Json(new { token_type = "Bearer", expires_in = 3600, access_token = Token(pending.User, pending.Roles, Audience) });
    }

    private IResult Logout(HttpRequest request)
    {
        Logouts++;
        return Results.Redirect(request.Query["post_logout_redirect_uri"]!);
    }

    private IResult Metadata()
    {
        MetadataRequests++;
        return Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Authority,
            ["authorization_endpoint"] = Authority.Replace("/v2.0", "/oauth2/v2.0/authorize", StringComparison.Ordinal),
            ["token_endpoint"] = Authority.Replace("/v2.0", "/oauth2/v2.0/token", StringComparison.Ordinal),
            ["end_session_endpoint"] = Authority.Replace("/v2.0", "/oauth2/v2.0/logout", StringComparison.Ordinal),
            ["jwks_uri"] = Authority.Replace("/v2.0", "/discovery/v2.0/keys", StringComparison.Ordinal),
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        });
    }

    private IResult Keys()
    {
        var parameters = _signingKey.ExportParameters(includePrivateParameters: false);
        return Results.Json(new
        {
            keys = new[]
            {
                new
                {
                    kty = "RSA", use = "sig", kid = "k1",
                    n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent),
                },
            },
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Certificate.Dispose();
        _signingKey.Dispose();
    }
}

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

    public static async Task<OpenIdProviderDouble> StartAsync()
    {
        var provider = new OpenIdProviderDouble();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(provider.Certificate)));
        provider._app = builder.Build();
        provider._app.MapGet($"/{Tenant}/v2.0/.well-known/openid-configuration", provider.Metadata);
        provider._app.MapGet($"/{Tenant}/discovery/v2.0/keys", provider.Keys);
        await provider._app.StartAsync();
        provider.Authority = provider._app.Urls.First().TrimEnd('/') + $"/{Tenant}/v2.0";
        return provider;
    }

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

    private IResult Metadata()
    {
        MetadataRequests++;
        return Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Authority,
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

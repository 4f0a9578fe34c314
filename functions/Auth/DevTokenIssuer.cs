using System.Security.Claims;
using Hotline.Secrets;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hotline.Functions.Auth;

/// <summary>
/// Issues and checks sign-in tokens for local use (Development only): HMAC-SHA256 with a key generated into the local
/// secrets file. Never registered outside Development.
/// </summary>
public sealed class DevTokenIssuer(ISecretStore secrets, TimeProvider time)
{
    public const string Issuer = "hotline-dev";
    public const string Audience = "hotline";
    public static readonly SecretDefinition SigningKeySecret = new("DevTokenSigningKey", GeneratedBytes: 32);
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(10); // one shift

    private SymmetricSecurityKey? _key;

    public SecurityKey SigningKey() =>
        _key ??= new SymmetricSecurityKey(Convert.FromBase64String(
            secrets.GetAsync(SigningKeySecret.Name).AsTask().GetAwaiter().GetResult())) { KeyId = "dev" };

    public string Issue(string user, IEnumerable<string> roles)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var claims = new List<Claim> { new("user", user), new("sub", user) };
        claims.AddRange(roles.Select(r => new Claim("roles", r)));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            SigningCredentials = new SigningCredentials(SigningKey(), SecurityAlgorithms.HmacSha256),
        });
    }
}

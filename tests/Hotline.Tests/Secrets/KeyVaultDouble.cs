using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Secrets;

/// <summary>
/// A loopback HTTPS stand-in for the few Key Vault calls the app makes, answering as the service does:
/// a 401 bearer challenge to an unauthenticated request, the latest version of a secret, 404 SecretNotFound,
/// and a one-page secret listing. Secrets can be rotated and the vault can be made to fail.
/// </summary>
public sealed class KeyVaultDouble : IAsyncDisposable
{
    public const string Token = "test-access-token";

    private readonly ConcurrentDictionary<string, List<string>> _versions = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<string> _requests = new();
    private WebApplication _app = null!;

    public X509Certificate2 Certificate { get; } = TestCertificates.SelfSignedLoopback();

    public Uri VaultUri { get; private set; } = null!;

    /// <summary>Authenticated GETs of secret values ("name"), in order.</summary>
    public IReadOnlyCollection<string> Requests => _requests;

    public int UnauthenticatedRequests { get; private set; }

    public bool Failing { get; set; }

    public static async Task<KeyVaultDouble> StartAsync()
    {
        var vault = new KeyVaultDouble();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(vault.Certificate)));
        vault._app = builder.Build();
        vault._app.MapGet("/secrets", vault.List);
        vault._app.MapGet("/secrets/{name}/{version?}", vault.Get);
        await vault._app.StartAsync();
        var address = vault._app.Urls.First();
        vault.VaultUri = new Uri(address.TrimEnd('/') + "/");
        return vault;
    }

    public void SetSecret(string name, string value) =>
        _versions.AddOrUpdate(name, _ => [value], (_, list) => { lock (list) { list.Add(value); } return list; });

    /// <summary>Client options that trust this double's certificate and skip the vault-resource check.</summary>
    public void Configure(SecretClientOptions options)
    {
        options.DisableChallengeResourceVerification = true;
        options.Retry.MaxRetries = 0;
        options.Transport = new HttpClientTransport(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == Certificate.Thumbprint,
        });
    }

    private IResult Get(string name, string? version, HttpRequest request)
    {
        if (Challenge(request) is { } challenge)
        {
            return challenge;
        }

        _requests.Enqueue(name);
        if (Failing)
        {
            return Results.StatusCode(503);
        }

        if (!_versions.TryGetValue(name, out var list))
        {
            return Results.Json(
                new { error = new { code = "SecretNotFound", message = $"A secret with (name/id) {name} was not found in this key vault." } },
                statusCode: 404);
        }

        string value;
        int index;
        lock (list)
        {
            index = list.Count - 1;
            value = list[index];
        }

        return Results.Json(new
        {
            value,
            id = new Uri(VaultUri, $"secrets/{name}/v{index + 1}").ToString(),
            attributes = new { enabled = true },
        });
    }

    private IResult List(HttpRequest request)
    {
        if (Challenge(request) is { } challenge)
        {
            return challenge;
        }

        if (Failing)
        {
            return Results.StatusCode(503);
        }

        var items = _versions.Keys.Select(k => new { id = new Uri(VaultUri, $"secrets/{k}").ToString(), attributes = new { enabled = true } });
        return Results.Json(new { value = items, nextLink = (string?)null });
    }

    private IResult? Challenge(HttpRequest request)
    {
        if (request.Headers.Authorization.ToString() == $"Bearer {Token}")
        {
            return null;
        }

        UnauthenticatedRequests++;
        request.HttpContext.Response.Headers.WWWAuthenticate =
            "Bearer authorization=\"https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000\", resource=\"https://vault.azure.net\"";
        return Results.StatusCode(401);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Certificate.Dispose();
    }
}

/// <summary>A credential that hands out the double's token and records which scopes were asked for.</summary>
public sealed class RecordingCredential : TokenCredential
{
    public ConcurrentQueue<string> Scopes { get; } = new();

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        foreach (var scope in requestContext.Scopes)
        {
            Scopes.Enqueue(scope);
        }

        return new AccessToken(KeyVaultDouble.Token, DateTimeOffset.UtcNow.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}

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
/// a one-page secret listing, and for per-request secrets: set (PUT), delete (the secret moves to the deleted
/// secrets), get of a deleted secret, and purge (204; 403 with purge protection on). A deletion can be made to take
/// a while (the deleted secret not yet visible, a purge refused with 409). Secrets can be rotated and the vault can
/// be made to fail. Every authenticated request is recorded as "METHOD /path".
/// </summary>
public sealed class KeyVaultDouble : IAsyncDisposable
{
    public const string Token = "test-access-token";

    private readonly ConcurrentDictionary<string, List<string>> _versions = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, DeletedSecret> _deleted = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentQueue<string> _calls = new();
    private WebApplication _app = null!;

    public X509Certificate2 Certificate { get; } = TestCertificates.SelfSignedLoopback();

    public Uri VaultUri { get; private set; } = null!;

    /// <summary>Authenticated GETs of secret values ("name"), in order.</summary>
    public IReadOnlyCollection<string> Requests => _requests;

    /// <summary>Every authenticated request, "METHOD /path" (no query), in order.</summary>
    public IReadOnlyCollection<string> Calls => _calls;

    public int UnauthenticatedRequests { get; private set; }

    public bool Failing { get; set; }

    /// <summary>As a vault with purge protection: purging a deleted secret is refused (403).</summary>
    public bool PurgeProtection { get; set; }

    /// <summary>How many reads of a just-deleted secret answer 404 (its deletion still in progress) before it shows.</summary>
    public int DeletionPolls { get; set; }

    /// <summary>How many purges of a just-deleted secret answer 409 (deletion still settling) before one succeeds.</summary>
    public int PurgeConflicts { get; set; }

    public static async Task<KeyVaultDouble> StartAsync()
    {
        var vault = new KeyVaultDouble();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(vault.Certificate)));
        vault._app = builder.Build();
        vault._app.Use(vault.ChallengeAndRecord);
        vault._app.MapGet("/secrets", vault.List);
        vault._app.MapGet("/secrets/{name}/{version?}", vault.Get);
        vault._app.MapPut("/secrets/{name}", vault.Set);
        vault._app.MapDelete("/secrets/{name}", vault.Delete);
        vault._app.MapGet("/deletedsecrets/{name}", vault.GetDeleted);
        vault._app.MapDelete("/deletedsecrets/{name}", vault.Purge);
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

    public bool HasLive(string name) => _versions.ContainsKey(name);

    public bool HasDeleted(string name) => _deleted.ContainsKey(name);

    /// <summary>Every value the vault holds, live or deleted, every version.</summary>
    public IReadOnlyList<string> AllValues()
    {
        var values = new List<string>();
        foreach (var list in _versions.Values.Concat(_deleted.Values.Select(d => d.Versions)))
        {
            lock (list)
            {
                values.AddRange(list);
            }
        }

        return values;
    }

    private IResult Get(string name, string? version)
    {
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

    private IResult List()
    {
        if (Failing)
        {
            return Results.StatusCode(503);
        }

        var items = _versions.Keys.Select(k => new { id = new Uri(VaultUri, $"secrets/{k}").ToString(), attributes = new { enabled = true } });
        return Results.Json(new { value = items, nextLink = (string?)null });
    }

    private async Task<IResult> Set(string name, HttpRequest request)
    {
        var body = await request.ReadFromJsonAsync<SetBody>();
        if (body?.Value is null)
        {
            return Error(400, "BadParameter", "The request body must carry a value.");
        }

        if (_deleted.ContainsKey(name))
        {
            return Error(409, "Conflict",
                $"Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.");
        }

        SetSecret(name, body.Value);
        var list = _versions[name];
        int count;
        lock (list)
        {
            count = list.Count;
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return Results.Json(new
        {
            value = body.Value,
            contentType = body.ContentType,
            id = new Uri(VaultUri, $"secrets/{name}/v{count}").ToString(),
            attributes = Attributes(now),
        });
    }

    private IResult Delete(string name)
    {
        if (_deleted.TryGetValue(name, out var deleting) && deleting.PendingPolls > 0)
        {
            return BeingDeleted();
        }

        if (!_versions.TryRemove(name, out var versions))
        {
            return NotFound(name);
        }

        var deleted = new DeletedSecret(versions, DateTimeOffset.UtcNow) { PendingPolls = DeletionPolls, PurgeConflicts = PurgeConflicts };
        _deleted[name] = deleted;
        return Results.Json(DeletedBundle(name, deleted));
    }

    private IResult GetDeleted(string name)
    {
        if (!_deleted.TryGetValue(name, out var deleted))
        {
            return Error(404, "SecretNotFound", $"Deleted Secret not found: {name}");
        }

        lock (deleted)
        {
            if (deleted.PendingPolls > 0)
            {
                deleted.PendingPolls--;
                return Error(404, "SecretNotFound", $"Deleted Secret not found: {name}");
            }
        }

        return Results.Json(DeletedBundle(name, deleted));
    }

    private IResult Purge(string name)
    {
        if (!_deleted.TryGetValue(name, out var deleted))
        {
            return Error(404, "SecretNotFound", $"Deleted Secret not found: {name}");
        }

        lock (deleted)
        {
            if (deleted.PendingPolls > 0 || deleted.PurgeConflicts > 0)
            {
                deleted.PurgeConflicts = Math.Max(0, deleted.PurgeConflicts - 1);
                return BeingDeleted();
            }
        }

        if (PurgeProtection)
        {
            return Error(403, "Forbidden",
                "Operation \"purge\" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has elapsed.");
        }

        _deleted.TryRemove(name, out _);
        return Results.StatusCode(204);
    }

    private object DeletedBundle(string name, DeletedSecret deleted)
    {
        int count;
        lock (deleted.Versions)
        {
            count = deleted.Versions.Count;
        }

        var deletedAt = deleted.DeletedAt.ToUnixTimeSeconds();
        return new
        {
            recoveryId = new Uri(VaultUri, $"deletedsecrets/{name}").ToString(),
            deletedDate = deletedAt,
            scheduledPurgeDate = deleted.DeletedAt.AddDays(7).ToUnixTimeSeconds(),
            id = new Uri(VaultUri, $"secrets/{name}/v{count}").ToString(),
            attributes = Attributes(deletedAt),
        };
    }

    private static object Attributes(long at) =>
        new { enabled = true, created = at, updated = at, recoveryLevel = "Recoverable+Purgeable", recoverableDays = 7 };

    private static IResult NotFound(string name) =>
        Error(404, "SecretNotFound", $"A secret with (name/id) {name} was not found in this key vault.");

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new { error = new { code, message } }, statusCode: status);

    private static IResult BeingDeleted() =>
        Results.Json(
            new { error = new { code = "Conflict", message = "Secret is currently being deleted.", innererror = new { code = "ObjectIsBeingDeleted" } } },
            statusCode: 409);

    private async Task ChallengeAndRecord(HttpContext context, RequestDelegate next)
    {
        if (context.Request.Headers.Authorization.ToString() != $"Bearer {Token}")
        {
            UnauthenticatedRequests++;
            context.Response.Headers.WWWAuthenticate =
                "Bearer authorization=\"https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000\", resource=\"https://vault.azure.net\"";
            context.Response.StatusCode = 401;
            return;
        }

        _calls.Enqueue($"{context.Request.Method} {context.Request.Path.Value?.TrimEnd('/')}");
        await next(context);
    }

    private sealed record SetBody(string? Value, string? ContentType);

    private sealed record DeletedSecret(List<string> Versions, DateTimeOffset DeletedAt)
    {
        public int PendingPolls { get; set; }

        public int PurgeConflicts { get; set; }
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

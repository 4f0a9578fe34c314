using Hotline.Functions.Hosting;
using Hotline.Secrets;
using Hotline.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hotline.Functions.Health;

/// <summary>
/// <c>GET /api/health</c>: whether tables, queues and the secret store answer, each checked with one real round
/// trip. The answer names only the dependency and a coarse reason, never a setting value or a secret.
/// </summary>
public static class HealthEndpoints
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    internal static async Task<JsonHttpResult<HealthReport>> CheckAsync(
        StorageHealthProbe storage, ISecretStore secrets, CancellationToken cancellationToken)
    {
        var checks = await Task.WhenAll(
            RunAsync("tables", storage.ProbeTablesAsync, cancellationToken),
            RunAsync("queues", storage.ProbeQueuesAsync, cancellationToken),
            RunAsync("secrets", secrets.ProbeAsync, cancellationToken));

        var healthy = checks.All(c => c.Reachable);
        var report = new HealthReport(
            healthy ? "healthy" : "unhealthy",
            checks.ToDictionary(c => c.Name, c => new HealthCheck(c.Reachable ? "reachable" : "unreachable", c.Reason)));
        return TypedResults.Json(report, statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<(string Name, bool Reachable, string? Reason)> RunAsync(
        string name, Func<CancellationToken, Task> probe, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            await probe(timeout.Token);
            return (name, true, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (name, false, "timed out");
        }
        catch (Azure.RequestFailedException e)
        {
            return (name, false, e.Status == 0 ? "no answer" : $"status {e.Status}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (name, false, e.GetType().Name);
        }
    }
}

public sealed record HealthReport(string Status, IReadOnlyDictionary<string, HealthCheck> Checks);

public sealed record HealthCheck(string Status, string? Reason);

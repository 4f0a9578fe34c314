using Hotline.Secrets;
using Hotline.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Health;

public sealed class HealthFunction(StorageHealthProbe storage, ISecretStore secrets)
{
    [Function("Health"), AllowAnonymous]
    public async Task<IResult> Check([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health")] HttpRequest request, CancellationToken ct) =>
        await HealthEndpoints.CheckAsync(storage, secrets, ct);
}

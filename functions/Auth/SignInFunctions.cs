using Hotline.Functions.Hosting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Hotline.Functions.Auth;

[AllowAnonymous]
public sealed class SignInFunctions(IServiceProvider services)
{
    /// <summary>How the staff pages sign in.</summary>
    [Function("SignInConfig")]
    public async Task<IResult> Config([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/auth/config")] HttpRequest request, CancellationToken ct) =>
        await SignInConfigEndpoint.GetAsync(
            services.GetRequiredService<AuthSettings>(), services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>(),
            services.GetRequiredService<IHostEnvironment>(), ct);

    /// <summary>The local sign-in, when no authority is configured.</summary>
    [Function("DevToken"), DevelopmentOnly]
    public async Task<IResult> DevToken([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/dev/token")] HttpRequest request, CancellationToken ct) =>
        services.GetService<DevTokenIssuer>() is { } issuer
            ? AuthRegistration.IssueDevToken(await request.ReadJsonAsync<DevTokenRequest>(ct), issuer)
            : Results.NotFound();
}

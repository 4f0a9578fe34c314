using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace Hotline.Functions.Hosting;

/// <summary>
/// Who may call an HTTP function, declared once with ASP.NET Core's <see cref="AuthorizeAttribute"/> (usually on the
/// class that groups a set of functions) or <see cref="AllowAnonymousAttribute"/>, and enforced here before the
/// function runs: no valid credentials is 401 and the wrong role 403, before the function looks at anything. A
/// function that declares neither is refused (fail closed).
/// </summary>
public sealed class FunctionAuthorization(IAuthorizationPolicyProvider policies, IPolicyEvaluator evaluator) : IFunctionsWorkerMiddleware
{
    // Stands for [AllowAnonymous]; null for a function that declares nothing.
    private static readonly AuthorizationPolicy Anonymous = new AuthorizationPolicyBuilder().RequireAssertion(_ => true).Build();

    // Each function's policy, combined once from what it declares.
    private readonly ConcurrentDictionary<MethodInfo, Task<AuthorizationPolicy?>> _combined = new();

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is not { } http)
        {
            await next(context);
            return;
        }

        var method = FunctionMethods.Of(context);
        if (method is null)
        {
            HttpHardening.Answer(context, http, StatusCodes.Status404NotFound, "No such function.");
            return;
        }

        var policy = await _combined.GetOrAdd(method, PolicyOfAsync);
        if (policy == Anonymous)
        {
            await next(context);
            return; // nothing of a public function depends on who calls it, so no credentials are even read
        }

        // As ASP.NET Core's authentication middleware does: the default scheme's user (presence, roles).
        var authenticated = await http.AuthenticateAsync();
        if (authenticated.Succeeded)
        {
            http.User = authenticated.Principal;
        }

        if (policy is null)
        {
            HttpHardening.Answer(context, http, StatusCodes.Status403Forbidden, "This function declares no role that may call it.");
            return;
        }

        var authentication = await evaluator.AuthenticateAsync(policy, http);
        var authorization = await evaluator.AuthorizeAsync(policy, authentication, http, resource: context);
        if (authorization.Challenged)
        {
            context.GetInvocationResult().Value = Results.Challenge(authenticationSchemes: [.. policy.AuthenticationSchemes]);
            return;
        }

        if (authorization.Forbidden)
        {
            context.GetInvocationResult().Value = Results.Forbid(authenticationSchemes: [.. policy.AuthenticationSchemes]);
            return;
        }

        await next(context);
    }

    private async Task<AuthorizationPolicy?> PolicyOfAsync(MethodInfo method)
    {
        var required = FunctionMethods.Declared<AuthorizeAttribute>(method).ToList();
        // [AllowAnonymous] on the method wins; on the class it holds only where the method asks for nothing itself.
        var anonymous = method.GetCustomAttributes(inherit: true).OfType<IAllowAnonymous>().Any()
            || (required.Count == 0 && method.DeclaringType?.GetCustomAttributes(inherit: true).OfType<IAllowAnonymous>().Any() == true);
        return anonymous ? Anonymous : required.Count == 0 ? null : await AuthorizationPolicy.CombineAsync(policies, required);
    }
}

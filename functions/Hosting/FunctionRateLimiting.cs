using System.Threading.RateLimiting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace Hotline.Functions.Hosting;

/// <summary>Puts an HTTP function under a named rate limit registered in <see cref="RateLimitPolicies"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RateLimitedAttribute(string policy) : Attribute
{
    public string Policy => policy;
}

/// <summary>The named rate limits, each partitioned by something of the request, and what a refused caller is told.</summary>
public sealed class RateLimitPolicies
{
    private readonly Dictionary<string, (PartitionedRateLimiter<HttpContext> Limiter, string Reason)> _policies = new(StringComparer.Ordinal);

    public RateLimitPolicies Add(string name, Func<HttpContext, RateLimitPartition<string>> partition, string reason)
    {
        _policies.Add(name, (PartitionedRateLimiter.Create(partition), reason));
        return this;
    }

    internal (PartitionedRateLimiter<HttpContext> Limiter, string Reason) this[string name] =>
        _policies.TryGetValue(name, out var policy) ? policy : throw new InvalidOperationException($"No rate limit named '{name}'.");
}

/// <summary>Answers 429 with the policy's reason, before the function runs, when the caller is over its limit.</summary>
public sealed class FunctionRateLimiting(RateLimitPolicies policies) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is not { } http || FunctionMethods.Find<RateLimitedAttribute>(context) is not { } limited)
        {
            await next(context);
            return;
        }

        var (limiter, reason) = policies[limited.Policy];
        using var lease = limiter.AttemptAcquire(http);
        if (!lease.IsAcquired)
        {
            HttpHardening.Answer(context, http, StatusCodes.Status429TooManyRequests, reason);
            return;
        }

        await next(context);
    }
}

/// <summary>A function that exists for local development only (the SMS simulator, the local sign-in): 404 elsewhere.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class DevelopmentOnlyAttribute : Attribute;

/// <summary>Answers 404, as for a route that does not exist, for development functions outside Development.</summary>
public sealed class DevelopmentOnlyFunctions(IHostEnvironment environment) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (!environment.IsDevelopment() && context.GetHttpContext() is { } http && FunctionMethods.Find<DevelopmentOnlyAttribute>(context) is not null)
        {
            HttpHardening.Answer(context, http, StatusCodes.Status404NotFound, "Not found.");
            return;
        }

        await next(context);
    }
}

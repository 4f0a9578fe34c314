using Microsoft.AspNetCore.Http.Features;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace Hotline.Functions.Hosting;

/// <summary>A function's own cap on the request body, instead of <see cref="HttpHardening.MaxRequestBodyBytes"/>.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class RequestBodyLimitAttribute(long bytes) : Attribute
{
    public long Bytes => bytes;
}

/// <summary>
/// What every HTTP function's request and answer go through before anything else: bodies are capped (a larger one is
/// 413 before a byte of it is read, however the function would treat it), API answers are never cached, and an
/// unexpected failure is a plain 500 problem that echoes nothing of the request.
/// </summary>
public sealed class HttpHardening(ILogger<HttpHardening> logger) : IFunctionsWorkerMiddleware
{
    /// <summary>The most any request body may hold unless its function says otherwise.</summary>
    public const long MaxRequestBodyBytes = 64 * 1024;

    /// <summary>A refused body up to this size is read and dropped before the refusal (a larger one is not read at all).</summary>
    private const long DrainedBodyBytes = 4 * 1024 * 1024;

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is not { } http)
        {
            await next(context);
            return;
        }

        if (http.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
        {
            http.Response.Headers.CacheControl = "no-store"; // answers hold personal data or tokens: no copy in any cache
        }

        // The function's own limit, if it has one. A body declared larger is refused from its length alone: the
        // function never reads a byte of it. (The Functions host in front streams it on. A body of moderate size is
        // read to its end and dropped first: answering while it is still arriving can make the connection reset
        // under the host, which then answers 502 instead of passing the 413 and its reason on.)
        var limit = FunctionMethods.Find<RequestBodyLimitAttribute>(context)?.Bytes ?? MaxRequestBodyBytes;
        if (http.Request.ContentLength is { } declared && declared > limit)
        {
            if (declared <= DrainedBodyBytes && http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } drained)
            {
                drained.MaxRequestBodySize = declared;
                await DrainAsync(http);
            }

            Answer(context, http, StatusCodes.Status413PayloadTooLarge, $"the request body is larger than {limit} bytes.");
            return;
        }

        // A body without Content-Length that outgrows the limit stops being read there.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        try
        {
            await next(context);
        }
        catch (Exception e) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
        {
            // A body that turned out larger than the limit while it was read (no Content-Length), or that broke off.
            if (Unwrap<BadHttpRequestException>(e) is { } bad)
            {
                Answer(context, http, bad.StatusCode,
                    bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? $"the request body is larger than {limit} bytes." : "the request could not be read.");
                return;
            }

            logger.LogError(e, "{Method} {Path} failed.", http.Request.Method, http.Request.Path.Value);
            Answer(context, http, StatusCodes.Status500InternalServerError, "the hotline could not complete the request; try again.");
        }
    }

    private static T? Unwrap<T>(Exception e) where T : Exception
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is T match)
            {
                return match;
            }
        }

        return null;
    }

    /// <summary>Answers instead of the function: the worker writes the result once this middleware returns.</summary>
    /// <summary>Reads the rest of a refused body and drops it; a sender that breaks off or stalls is left to the server.</summary>
    private static async Task DrainAsync(HttpContext http)
    {
        try
        {
            await http.Request.Body.CopyToAsync(Stream.Null, http.RequestAborted);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or BadHttpRequestException)
        {
            // Nothing to drain any more: the answer still goes out if the connection is there.
        }
    }

    internal static void Answer(FunctionContext context, HttpContext http, int status, string reason)
    {
        var cacheControl = http.Response.Headers.CacheControl;
        http.Response.Clear();
        http.Response.Headers.CacheControl = cacheControl;

        context.GetInvocationResult().Value = Results.Problem(reason, statusCode: status);
    }
}

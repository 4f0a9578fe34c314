using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace Hotline.Functions.Hosting;

/// <summary>An endpoint's own cap on the request body, instead of <see cref="HttpHardening.MaxRequestBodyBytes"/>.</summary>
public sealed class RequestBodyLimit(long bytes) : IRequestSizeLimitMetadata
{
    public long? MaxRequestBodySize => bytes;
}

/// <summary>
/// What every request and answer goes through before anything else: bodies are capped (a larger one is 413 before
/// a byte of it is read, however the endpoint would treat it), API answers are never cached, and an unexpected
/// failure is a plain 500 problem that echoes nothing of the request (the Development error page shows its headers,
/// a bearer token among them).
/// </summary>
public static class HttpHardening
{
    /// <summary>The most any request body may hold unless its endpoint says otherwise (Kestrel's global limit).</summary>
    public const long MaxRequestBodyBytes = 64 * 1024;

    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestBodyLimit(bytes));

    public static void LimitRequestBodies(this ConfigureWebHostBuilder webHost) =>
        webHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = MaxRequestBodyBytes);

    public static IApplicationBuilder UseHttpHardening(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
        {
            http.Response.Headers.CacheControl = "no-store"; // answers hold personal data or tokens: no copy in any cache
        }

        // The endpoint's own limit, if it has one, also for a body without Content-Length (Kestrel stops reading it).
        var limit = http.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? MaxRequestBodyBytes;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        if (http.Request.ContentLength > limit)
        {
            await WriteProblemAsync(http, StatusCodes.Status413PayloadTooLarge, $"the request body is larger than {limit} bytes.");
            return;
        }

        try
        {
            await next(http);
            if (http.Response.StatusCode == StatusCodes.Status413PayloadTooLarge && !http.Response.HasStarted)
            {
                // The body outgrew the limit while an endpoint's parameters were read: that answers 413 with no reason.
                await WriteProblemAsync(http, StatusCodes.Status413PayloadTooLarge, $"the request body is larger than {limit} bytes.");
            }
        }
        catch (BadHttpRequestException e) when (!http.Response.HasStarted)
        {
            // A body that turned out larger than the limit while it was read (no Content-Length), or that broke off.
            await WriteProblemAsync(http, e.StatusCode,
                e.StatusCode == StatusCodes.Status413PayloadTooLarge ? $"the request body is larger than {limit} bytes." : "the request could not be read.");
        }
        catch (Exception e) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Hotline.Functions.Errors")
                .LogError(e, "{Method} {Path} failed.", http.Request.Method, http.Request.Path.Value);
            await WriteProblemAsync(http, StatusCodes.Status500InternalServerError, "the hotline could not complete the request; try again.");
        }
    });

    private static Task WriteProblemAsync(HttpContext http, int status, string reason)
    {
        var cacheControl = http.Response.Headers.CacheControl;
        http.Response.Clear();
        http.Response.Headers.CacheControl = cacheControl;
        // The request's body is not read: the connection cannot be reused for another request.
        if (status == StatusCodes.Status413PayloadTooLarge)
        {
            http.Response.Headers.Connection = "close";
        }

        return Results.Problem(reason, statusCode: status).ExecuteAsync(http);
    }
}

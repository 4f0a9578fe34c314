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
                await DrainAsync(http.Request.Body, http.RequestAborted);
            }

            Answer(context, http, StatusCodes.Status413PayloadTooLarge, $"the request body is larger than {limit} bytes.");
            return;
        }

        // A body without Content-Length (chunked) is counted as it is read and fails as too large past the limit;
        // what is left of it (up to DrainedBodyBytes, where the server stops it) is then dropped before the 413, as
        // above. A body with a Content-Length within the limit cannot outgrow it.
        var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        var counted = http.Request.ContentLength is null && feature is { IsReadOnly: false } ? new CountedBody(http.Request.Body, limit) : null;
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = counted is null ? limit : Math.Max(limit, DrainedBodyBytes);
        }

        if (counted is not null)
        {
            http.Request.Body = counted;
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
                if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge && counted is not null)
                {
                    await DrainAsync(counted.Inner, http.RequestAborted);
                }

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
    private static async Task DrainAsync(Stream body, CancellationToken aborted)
    {
        try
        {
            await body.CopyToAsync(Stream.Null, aborted);
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

/// <summary>
/// A request body read through a count: past <paramref name="limit"/> bytes a read fails as 413, as the server's own
/// limit would, while the body underneath (<see cref="Inner"/>) can still be read to its end and dropped.
/// </summary>
internal sealed class CountedBody(Stream inner, long limit) : Stream
{
    private long _read;

    public Stream Inner => inner;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Counted(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Counted(int read)
    {
        _read += read;
        return _read > limit
            ? throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge)
            : read;
    }
}

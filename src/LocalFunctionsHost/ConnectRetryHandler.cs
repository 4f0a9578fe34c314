using System.Net.Http;

namespace LocalFunctionsHost;

/// <summary>
/// Retries a proxied request whose connection to the worker could not be made (its HTTP server not listening yet,
/// or just restarted), as the Functions host does: up to 10 attempts, 50 ms doubling to 250 ms. Only connection
/// failures are retried, so no part of a streamed request body has been sent.
/// </summary>
internal sealed partial class ConnectRetryHandler(HttpMessageHandler inner, ILogger logger) : DelegatingHandler(inner)
{
    private const int Attempts = 10;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError && attempt < Attempts)
            {
                LogRetry(logger, request.RequestUri, attempt, delay.TotalMilliseconds);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not connect to the worker at {Uri} (attempt {Attempt}); retrying in {DelayMs} ms")]
    private static partial void LogRetry(ILogger logger, Uri? uri, int attempt, double delayMs);
}

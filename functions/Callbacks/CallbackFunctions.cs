using Hotline.Callbacks;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Callbacks;

/// <summary>
/// Timer: every minute, callback requests whose safe window has come are released to a counsellor, released ones
/// nobody acted on within their window wait for the next, expired ones close and their secrets are destroyed.
/// </summary>
public sealed class CallbackReleaseFunction(CallbackScheduler scheduler, TimeProvider time)
{
    [Function("CallbackRelease")]
    public Task Run([TimerTrigger("0 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        scheduler.ReleaseDueAsync(time.GetUtcNow(), cancellationToken);
}

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

/// <summary>
/// Timer: every hour, the rows of callback requests closed longer than <c>Callbacks__ClosedRetention</c> ago are
/// deleted (their secrets went when they closed; the rows kept only windows and outcomes for the board).
/// </summary>
public sealed class CallbackRetentionFunction(CallbackScheduler scheduler, TimeProvider time)
{
    [Function("CallbackRetention")]
    public Task Run([TimerTrigger("0 17 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        scheduler.ForgetClosedAsync(time.GetUtcNow(), cancellationToken);
}

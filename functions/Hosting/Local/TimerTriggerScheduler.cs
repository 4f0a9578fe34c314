using NCrontab;

namespace Hotline.Functions.Hosting.Local;

/// <summary>
/// Fires one timer-triggered function on its NCRONTAB schedule (six fields, seconds first, in UTC as on Azure
/// without WEBSITE_TIME_ZONE). Like the host, it never overlaps runs of the same function: the next occurrence is
/// computed after the previous invocation finished.
/// </summary>
public sealed partial class TimerTriggerScheduler(
    FunctionDefinition function,
    CrontabSchedule schedule,
    LocalInvoker invoker,
    LocalFunctionsHostState state,
    TimeProvider time,
    ILogger logger)
{
    // A run that starts later than this after its scheduled time is reported as past due.
    private static readonly TimeSpan PastDueTolerance = TimeSpan.FromSeconds(15);
    // Waits in short steps and looks at the clock after each, so a clock that jumps (an NTP correction, a test's
    // fake clock moved while the wait was being set up) is noticed within a second.
    private static readonly TimeSpan LongestSingleDelay = TimeSpan.FromSeconds(1);

    public static CrontabSchedule Parse(string functionName, string expression)
    {
        var parsed = CrontabSchedule.TryParse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true });
        return parsed ?? throw new FunctionCatalogException(
            $"functions/{functionName}/function.json: schedule '{expression}' is not an NCRONTAB expression " +
            "with six fields ({second} {minute} {hour} {day} {month} {day-of-week}).");
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        DateTimeOffset? last = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = NextAfter(time.GetUtcNow());
            state.SetNextRun(function.Name, next);
            try
            {
                for (var now = time.GetUtcNow(); now < next; now = time.GetUtcNow())
                {
                    var wait = next - now;
                    await Task.Delay(wait < LongestSingleDelay ? wait : LongestSingleDelay, time, stoppingToken);
                }

                var pastDue = time.GetUtcNow() - next > PastDueTolerance;
                var ok = await invoker.InvokeTimerAsync(function, last, NextAfter(next), pastDue, stoppingToken);
                if (!ok)
                {
                    LogRunFailed(function.Name, next);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            last = next;
        }
    }

    private DateTimeOffset NextAfter(DateTimeOffset instant) =>
        new(DateTime.SpecifyKind(schedule.GetNextOccurrence(instant.UtcDateTime), DateTimeKind.Utc));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Timer function {FunctionName} failed for its run due at {DueAt}")]
    private partial void LogRunFailed(string functionName, DateTimeOffset dueAt);
}

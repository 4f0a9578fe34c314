using System.Globalization;
using System.Text.Json.Nodes;
using LocalFunctionsHost.Protocol;
using NCrontab;

namespace LocalFunctionsHost;

/// <summary>
/// Fires one timer-triggered function on its NCRONTAB schedule (six fields, seconds first, in UTC as on Azure
/// without WEBSITE_TIME_ZONE). Like the host, it never overlaps runs of the same function: the next occurrence is
/// computed after the previous invocation finished.
/// </summary>
internal sealed partial class TimerTriggerScheduler(
    FunctionsHost host,
    FunctionDefinition function,
    CrontabSchedule schedule,
    TimeProvider time,
    ILogger logger,
    Action<DateTimeOffset> onNextRun)
{
    // A run that starts later than this after its scheduled time is reported as past due.
    private static readonly TimeSpan PastDueTolerance = TimeSpan.FromSeconds(15);
    // Waits in short steps and looks at the clock after each, so a clock that jumps (an NTP correction, a test's
    // fake clock moved while the wait was being set up) is noticed within a second.
    private static readonly TimeSpan LongestSingleDelay = TimeSpan.FromSeconds(1);

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        DateTimeOffset? last = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = NextAfter(time.GetUtcNow());
            onNextRun(next);
            try
            {
                for (var now = time.GetUtcNow(); now < next; now = time.GetUtcNow())
                {
                    var wait = next - now;
                    await Task.Delay(wait < LongestSingleDelay ? wait : LongestSingleDelay, time, stoppingToken).ConfigureAwait(false);
                }

                var now2 = time.GetUtcNow();
                var info = TimerInfoJson(last, NextAfter(next), now2, now2 - next > PastDueTolerance);
                var trigger = function.Trigger!.Name;
                var response = await host.InvokeAsync(function.Name, (request, _) =>
                    request.InputData.Add(new ParameterBinding { Name = trigger, Data = new TypedData { Json = info } }),
                    stoppingToken).ConfigureAwait(false);
                if (response.Result?.Status != StatusResult.Types.Status.Success)
                {
                    LogRunFailed(logger, function.Name, next, response.Result?.Exception?.Message);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is WorkerUnavailableException or OperationCanceledException)
            {
                LogRunFailed(logger, function.Name, next, e.Message);
            }

            last = next;
        }
    }

    /// <summary>
    /// TimerInfo as the host serialises it for the worker. Last is the previous scheduled run (DateTime's default
    /// before the first), Next the occurrence after this one, LastUpdated the time of this run.
    /// </summary>
    internal static string TimerInfoJson(DateTimeOffset? last, DateTimeOffset next, DateTimeOffset now, bool isPastDue) =>
        new JsonObject
        {
            ["Schedule"] = new JsonObject { ["AdjustForDST"] = true },
            ["ScheduleStatus"] = new JsonObject
            {
                ["Last"] = last is { } l ? Format(l) : "0001-01-01T00:00:00",
                ["Next"] = Format(next),
                ["LastUpdated"] = Format(now),
            },
            ["IsPastDue"] = isPastDue,
        }.ToJsonString();

    private static string Format(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);

    private DateTimeOffset NextAfter(DateTimeOffset instant) =>
        new(DateTime.SpecifyKind(schedule.GetNextOccurrence(instant.UtcDateTime), DateTimeKind.Utc));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Timer function {FunctionName} failed for its run due at {DueAt}: {Reason}")]
    private static partial void LogRunFailed(ILogger logger, string functionName, DateTimeOffset dueAt, string? reason);
}

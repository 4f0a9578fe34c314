using LocalFunctionsHost.Protocol;

namespace LocalFunctionsHost;

public sealed partial class FunctionsHost
{
    /// <summary>
    /// Runs a timer function once, now, whatever its schedule (what the real host's admin API offers to operators and
    /// tests): the same invocation its schedule would send. Throws if the function fails.
    /// </summary>
    public async Task RunTimerAsync(string functionName, CancellationToken ct = default)
    {
        var function = Functions.FirstOrDefault(f => string.Equals(f.Name, functionName, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"No function named {functionName}.", nameof(functionName));
        if (function.Trigger?.Is(Binding.TimerTrigger) != true)
        {
            throw new ArgumentException($"{functionName} is not a timer function.", nameof(functionName));
        }

        var now = _options.TimeProvider.GetUtcNow();
        var info = TimerTriggerScheduler.TimerInfoJson(last: null, next: now, now: now, isPastDue: false);
        var response = await InvokeAsync(function.Name, (request, _) =>
            request.InputData.Add(new ParameterBinding { Name = function.Trigger.Name, Data = new TypedData { Json = info } }), ct)
            .ConfigureAwait(false);
        if (response.Result?.Status != StatusResult.Types.Status.Success)
        {
            throw new InvalidOperationException($"{functionName} failed: {response.Result?.Exception?.Message}");
        }
    }
}

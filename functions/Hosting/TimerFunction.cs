using System.Text.Json;

namespace Hotline.Functions.Hosting;

/// <summary>The TimerInfo the Functions host sends with a timer invocation.</summary>
public sealed record TimerInfo(bool IsPastDue, DateTimeOffset? Last, DateTimeOffset? Next);

/// <summary>Base for timer-triggered functions (NCRONTAB schedule with seconds in function.json).</summary>
public abstract class TimerFunction : IFunctionHandler
{
    public abstract string Name { get; }

    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        await HandleAsync(ParseTimerInfo(invocation.TriggerValue()), cancellationToken);
        return FunctionResult.Done;
    }

    protected abstract Task HandleAsync(TimerInfo timer, CancellationToken cancellationToken);

    internal static TimerInfo ParseTimerInfo(JsonElement? value)
    {
        var text = FunctionInvocation.AsString(value);
        if (string.IsNullOrEmpty(text))
        {
            return new TimerInfo(false, null, null);
        }

        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;
        var pastDue = root.TryGetProperty("IsPastDue", out var p)
            && (p.ValueKind == JsonValueKind.True || (p.ValueKind == JsonValueKind.String && p.GetString() == "true"));
        DateTimeOffset? last = null, next = null;
        if (root.TryGetProperty("ScheduleStatus", out var status) && status.ValueKind == JsonValueKind.Object)
        {
            last = ReadTime(status, "Last");
            next = ReadTime(status, "Next");
        }

        return new TimerInfo(pastDue, last, next);
    }

    private static DateTimeOffset? ReadTime(JsonElement obj, string key) =>
        obj.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String && v.TryGetDateTimeOffset(out var t)
            ? t
            : null;
}

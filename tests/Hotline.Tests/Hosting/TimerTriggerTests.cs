using Hotline.Functions.Hosting;
using Hotline.Functions.Hosting.Local;
using Hotline.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Hotline.Tests.Hosting;

/// <summary>The local host fires timer functions on their NCRONTAB schedule; time is a fake clock, not sleeps.</summary>
public sealed class TimerTriggerTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 3, 1, 30, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private readonly RecordingTimerFunction _timer = new();
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _timer.Clock = _clock;
        _app = await RunningApp.StartAsync(
            new Dictionary<string, string?>
            {
                ["Functions:Root"] = TestEnvironment.FunctionApp("timer-app"),
                ["LocalFunctionsHost:Enabled"] = "true",
            },
            b =>
            {
                b.Services.AddSingleton<TimeProvider>(_clock);
                b.Services.AddSingleton<IFunctionHandler>(_timer);
            },
            needsStorage: false);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Timer_fires_at_each_scheduled_time_and_not_before()
    {
        var state = _app.Services.GetRequiredService<LocalFunctionsHostState>();
        var firstDue = new DateTimeOffset(2026, 11, 22, 3, 5, 0, TimeSpan.Zero);
        await Eventually.TrueAsync(
            () => state.NextRuns.TryGetValue("EveryFiveMinutes", out var next) && next == firstDue,
            "the scheduler to wait for 03:05:00");

        _clock.Advance(firstDue - Start - TimeSpan.FromSeconds(1)); // 03:04:59
        // Proving that nothing fires needs a pause: give an early invocation ample real time to show up.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.Empty(_timer.Runs);

        _clock.Advance(TimeSpan.FromSeconds(1)); // 03:05:00
        var run = (await Eventually.ReturnsAsync(
            () => Task.FromResult<(TimerInfo Info, DateTimeOffset At)?>(
                _timer.Runs.TryPeek(out var r) ? r : null),
            "the first run")).GetValueOrDefault();
        Assert.Equal(firstDue, run.At);
        Assert.False(run.Info.IsPastDue);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 3, 10, 0, TimeSpan.Zero), run.Info.Next);
        Assert.Null(run.Info.Last);

        var secondDue = firstDue.AddMinutes(5);
        await Eventually.TrueAsync(
            () => state.NextRuns["EveryFiveMinutes"] == secondDue, "the scheduler to wait for 03:10:00");
        // Two steps, as for the first run: one five-minute jump could come just before the scheduler sets up its next
        // (at most one-second) wait, which would then end at 03:10:01, after a clock that stops at 03:10:00.
        _clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1)); // 03:09:59
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.Single(_timer.Runs);
        _clock.Advance(TimeSpan.FromSeconds(1)); // 03:10:00
        await Eventually.TrueAsync(() => _timer.Runs.Count == 2, "the second run");
        var second = _timer.Runs.Last();
        Assert.Equal(secondDue, second.At);
        Assert.Equal(firstDue, second.Info.Last);
    }

    [Theory]
    [InlineData("0 */5 * * *")] // five fields: Azure needs seconds
    [InlineData("every five minutes")]
    public void An_invalid_schedule_is_refused_with_the_function_named(string expression)
    {
        var e = Assert.Throws<FunctionCatalogException>(() => TimerTriggerScheduler.Parse("Sweep", expression));
        Assert.Contains("functions/Sweep/function.json", e.Message, StringComparison.Ordinal);
    }
}

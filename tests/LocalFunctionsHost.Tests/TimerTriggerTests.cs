using System.Text.Json;
using LocalFunctionsHost.SampleApp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LocalFunctionsHost.Tests;

/// <summary>Timer functions fire on their NCRONTAB schedule; time is a fake clock shared by host and worker.</summary>
public sealed class TimerTriggerTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 3, 1, 30, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private FunctionsHost _host = null!;
    private Recorder _recorder = null!;

    public async Task InitializeAsync()
    {
        _host = await Sample.StartAsync(
            Sample.InProcess(s => s.AddSingleton<TimeProvider>(_clock)), Sample.Settings(schedule: "0 */5 * * * *"), _clock);
        _recorder = (await _host.CurrentWorker).Recorder();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_timer_function_runs_on_demand_now_whatever_its_schedule_and_only_a_timer_function()
    {
        await _host.RunTimerAsync("Sweep");

        var run = Assert.Single(_recorder.TimerRuns);
        Assert.Equal(Start, run.At); // now, on the host's clock: not at 03:05, its next occurrence
        Assert.False(run.Info.IsPastDue);
        await Assert.ThrowsAsync<ArgumentException>(() => _host.RunTimerAsync("Echo"));
        await Assert.ThrowsAsync<ArgumentException>(() => _host.RunTimerAsync("NoSuchFunction"));
    }

    [Fact]
    public async Task Timer_fires_at_each_scheduled_time_and_not_before_with_the_hosts_TimerInfo()
    {
        var firstDue = new DateTimeOffset(2026, 11, 22, 3, 5, 0, TimeSpan.Zero);
        await Eventually.TrueAsync(() => _host.NextTimerRuns.GetValueOrDefault("Sweep") == firstDue, "the scheduler to wait for 03:05:00");

        _clock.Advance(firstDue - Start - TimeSpan.FromSeconds(1)); // 03:04:59
        // Proving that nothing fires needs a pause: give an early invocation ample real time to show up.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.Empty(_recorder.TimerRuns);

        _clock.Advance(TimeSpan.FromSeconds(1)); // 03:05:00
        var run = await Eventually.ReturnsAsync(
            () => Task.FromResult(_recorder.TimerRuns.TryPeek(out var r) ? r : null), "the first run");
        Assert.Equal(firstDue, run.At);
        Assert.False(run.Info.IsPastDue);
        Assert.Equal(new DateTime(2026, 11, 22, 3, 10, 0), run.Info.ScheduleStatus!.Next.ToUniversalTime());
        Assert.Equal(default, run.Info.ScheduleStatus.Last);

        var secondDue = firstDue.AddMinutes(5);
        await Eventually.TrueAsync(() => _host.NextTimerRuns.GetValueOrDefault("Sweep") == secondDue, "the scheduler to wait for 03:10:00");
        // Two steps, as for the first run: the scheduler waits at most a second at a time.
        _clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1)); // 03:09:59
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.Single(_recorder.TimerRuns);
        _clock.Advance(TimeSpan.FromSeconds(1)); // 03:10:00
        await Eventually.TrueAsync(() => _recorder.TimerRuns.Count == 2, "the second run");
        var second = _recorder.TimerRuns.Last();
        Assert.Equal(secondDue, second.At);
        Assert.Equal(firstDue.UtcDateTime, second.Info.ScheduleStatus!.Last.ToUniversalTime());
    }

    [Fact]
    public async Task A_run_never_overlaps_the_previous_one_and_missed_occurrences_are_not_queued_up()
    {
        var hold = new TaskCompletionSource();
        _recorder.TimerHold = hold;
        var firstDue = new DateTimeOffset(2026, 11, 22, 3, 5, 0, TimeSpan.Zero);
        await Eventually.TrueAsync(() => _host.NextTimerRuns.GetValueOrDefault("Sweep") == firstDue, "the scheduler to wait for 03:05:00");
        _clock.Advance(firstDue - Start - TimeSpan.FromSeconds(1)); // 03:04:59, then 03:05:00 (see above)
        await Task.Delay(100);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => Volatile.Read(ref _recorder.TimerRunning) == 1, "the first run to start");

        // Three more occurrences pass while the first run is still going.
        for (var i = 0; i < 16; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(20);
        }

        await Task.Delay(300);
        Assert.Single(_recorder.TimerRuns);
        Assert.Equal(0, _recorder.TimerOverlaps);

        hold.SetResult(); // 03:21:00 now: the next run is the next occurrence, 03:25
        await Eventually.TrueAsync(
            () => _host.NextTimerRuns.GetValueOrDefault("Sweep") == new DateTimeOffset(2026, 11, 22, 3, 25, 0, TimeSpan.Zero),
            "the scheduler to wait for 03:25:00");
        _clock.Advance(TimeSpan.FromMinutes(4) - TimeSpan.FromSeconds(1));
        await Task.Delay(100);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => _recorder.TimerRuns.Count == 2, "the next run");
        Assert.Equal(0, _recorder.TimerOverlaps);
    }

    [Fact]
    public void TimerInfo_is_serialised_with_Schedule_ScheduleStatus_and_IsPastDue()
    {
        var json = TimerTriggerScheduler.TimerInfoJson(
            new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 1, 0, 5, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 1, 1, 0, 0, 0, 250, TimeSpan.Zero), isPastDue: true);

        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.True(root.GetProperty("Schedule").GetProperty("AdjustForDST").GetBoolean());
        Assert.Equal("2026-01-01T00:00:00+00:00", root.GetProperty("ScheduleStatus").GetProperty("Last").GetString());
        Assert.Equal("2026-01-01T00:05:00+00:00", root.GetProperty("ScheduleStatus").GetProperty("Next").GetString());
        Assert.Equal("2026-01-01T00:00:00.25+00:00", root.GetProperty("ScheduleStatus").GetProperty("LastUpdated").GetString());
        Assert.True(root.GetProperty("IsPastDue").GetBoolean());
    }
}

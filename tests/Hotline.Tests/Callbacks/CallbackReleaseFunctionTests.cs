using Hotline.Callbacks;
using Hotline.Functions.Configuration;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Hotline.Tests.Callbacks;

/// <summary>
/// The <c>CallbackRelease</c> timer, invoked as the Functions host invokes it, releases a due request with the app's
/// own services and settings; malformed callback settings stop start-up naming the setting.
/// </summary>
public sealed class CallbackReleaseFunctionTests
{
    [Fact]
    public async Task The_app_reads_safe_times_with_the_word_files_it_ships_and_the_keypad_presets()
    {
        await using var app = await RunningApp.StartAsync(needsStorage: false);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Bucharest");
        var now = new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero); // 12:00 in Bucharest

        var reading = app.Services.GetRequiredService<SafeWindowParser>().Parse("mâine seara", "ro", zone, now);
        var evening = app.Services.GetRequiredService<KeypadPresets>().Windows('3', zone, now);

        // "Tomorrow evening" in Romanian, read with the Romanian words copied next to the app: 17:00–21:00 there.
        Assert.Equal([new SafeWindow(new DateTimeOffset(2026, 12, 2, 15, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 2, 19, 0, 0, TimeSpan.Zero))], reading.Windows);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 15, 0, 0, TimeSpan.Zero), evening!.Windows[0].Start);
    }

    [Fact]
    public async Task The_timer_releases_a_request_whose_window_has_come_and_not_before()
    {
        var start = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        var clock = new FakeTimeProvider(start);
        var secrets = new InMemoryCallbackSecrets();
        await using var app = await RunningApp.StartAsync(
            new Dictionary<string, string?> { ["Callbacks:Expiry"] = "02:00:00" },
            b =>
            {
                b.Services.AddSingleton<TimeProvider>(clock);
                b.Services.AddSingleton<ICallbackSecrets>(secrets);
            });
        var roster = app.Services.GetRequiredService<IRosterStore>();
        await roster.SaveAsync(new Counsellor("ana", "Ana", ["ro"], OnCall: true, Capacity: 2));
        await roster.MarkSeenAsync("ana", new Presence(start, PresenceSource.Console));
        var scheduler = app.Services.GetRequiredService<CallbackScheduler>();
        var store = app.Services.GetRequiredService<ICallbackStore>();
        var request = new CallbackRequest("cb-timer", "conv-timer", "ro", start, default)
        {
            Windows = [new SafeWindow(start.AddMinutes(30), start.AddMinutes(90)), new SafeWindow(start.AddHours(5), start.AddHours(6))],
        };
        Assert.True(await scheduler.CreateAsync(request, new CallbackSecrets("+40722000112", null)));
        Assert.Equal(start.AddHours(2), (await store.FindAsync("cb-timer"))!.ExpiresAt); // Callbacks__Expiry caps it

        clock.SetUtcNow(start.AddMinutes(29));
        await app.Host.RunTimerAsync("CallbackRelease");
        Assert.Equal(CallbackStatus.Waiting, (await store.FindAsync("cb-timer"))!.Status);

        clock.SetUtcNow(start.AddMinutes(30));
        await app.Host.RunTimerAsync("CallbackRelease");
        Assert.Equal(("ana", CallbackStatus.Released), ((await store.FindAsync("cb-timer"))!.ReleasedTo, (await store.FindAsync("cb-timer"))!.Status));

        // Past its expiry (before its second window) it closes and its secrets go.
        clock.SetUtcNow(start.AddHours(2));
        await app.Host.RunTimerAsync("CallbackRelease");
        Assert.Equal(CallbackClosure.Expired, (await store.FindAsync("cb-timer"))!.ClosedAs);
        Assert.Equal(["cb-timer"], secrets.Destroyed);
    }

    [Theory]
    [InlineData("Callbacks:MaxAttempts", "0", "Callbacks__MaxAttempts")]
    [InlineData("Callbacks:MaxAttempts", "three", "Callbacks__MaxAttempts")]
    [InlineData("Callbacks:AttemptSpacing", "30 minutes", "Callbacks__AttemptSpacing")]
    [InlineData("Callbacks:Expiry", "-7.00:00:00", "Callbacks__Expiry")]
    public async Task A_malformed_callback_setting_stops_startup_naming_it(string key, string value, string named)
    {
        var e = await Assert.ThrowsAsync<StartupSettingException>(() => RunningApp.StartAsync(
            new Dictionary<string, string?> { [key] = value }, needsStorage: false));
        Assert.StartsWith($"Setting '{named}' is malformed", e.Message, StringComparison.Ordinal);
    }
}

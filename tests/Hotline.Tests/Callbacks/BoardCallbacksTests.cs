using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Callbacks;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Hotline.Tests.Callbacks;

/// <summary>
/// The supervisor board's callbacks per language, read through <c>GET /api/board</c> on a fake clock: due now,
/// overdue after 15 minutes, later, the last 7 days' outcomes, drafts not counted, and no secret in the answer.
/// </summary>
public sealed class BoardCallbacksTests
{
    // Near the real time: staff tokens are checked against the real clock.
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60 * 60);

    [Fact]
    public async Task The_board_counts_callbacks_due_overdue_later_and_their_outcomes_per_language()
    {
        var clock = new FakeTimeProvider(Start);
        var secrets = new InMemoryCallbackSecrets();
        await using var app = await RunningApp.StartAsync(
            configure: b =>
            {
                b.Services.AddSingleton<TimeProvider>(clock);
                b.Services.AddSingleton<ICallbackSecrets>(secrets);
            });
        using var supervisor = await StaffTokens.ClientForAsync(app, "sam", "supervisor");
        var roster = app.Services.GetRequiredService<IRosterStore>();
        await roster.SaveAsync(new Counsellor("ana", "Ana", ["ro"], OnCall: true, Capacity: 5));
        await roster.MarkSeenAsync("ana", new Presence(Start, PresenceSource.Console));
        var scheduler = app.Services.GetRequiredService<CallbackScheduler>();
        var now = new SafeWindow(Start, Start.AddHours(2));
        var later = new SafeWindow(Start.AddHours(5), Start.AddHours(6));

        // Romanian: two released now (one then called and reached), one for later. Ukrainian: nobody speaks it, so
        // its request stays due, unreleased, and becomes overdue; one more expired. A draft counts nowhere.
        await CreateAsync(scheduler, "ro-1", "ro", now);
        await CreateAsync(scheduler, "ro-2", "ro", now);
        await CreateAsync(scheduler, "ro-3", "ro", later);
        await CreateAsync(scheduler, "uk-1", "uk", now);
        await CreateAsync(scheduler, "uk-2", "uk", now, expiresAt: Start.AddMinutes(10));
        await CreateAsync(scheduler, "uk-3", "uk", now, draft: true);
        Assert.Equal(2, await scheduler.ReleaseDueAsync(Start));
        Assert.Equal(OutcomeRecording.Recorded, await scheduler.RecordOutcomeAsync("cb-ro-1", "ana", CallbackOutcome.Reached, Start.AddMinutes(5)));

        clock.SetUtcNow(Start.AddMinutes(14));
        await scheduler.ReleaseDueAsync(clock.GetUtcNow());
        var before = await CallbacksAsync(supervisor);
        clock.SetUtcNow(Start.AddMinutes(15));
        var after = await CallbacksAsync(supervisor);

        Assert.Equal((1, 0, 1, 1), Counts(before["ro"]));
        Assert.Equal((1, 0, 0, 0), Counts(before["uk"]));
        Assert.Equal(1, before["uk"].GetProperty("endedUnreached").GetInt32());
        Assert.Equal((1, 1, 1, 1), Counts(after["ro"])); // the first release is 15 minutes old
        Assert.Equal((1, 1, 0, 0), Counts(after["uk"]));
        Assert.DoesNotContain("+4072200", after["ro"].GetRawText(), StringComparison.Ordinal);
    }

    private static (int Due, int Overdue, int Later, int Reached) Counts(JsonElement language) => (
        language.GetProperty("due").GetInt32(), language.GetProperty("overdue").GetInt32(),
        language.GetProperty("later").GetInt32(), language.GetProperty("reached").GetInt32());

    private static async Task<Dictionary<string, JsonElement>> CallbacksAsync(HttpClient supervisor)
    {
        var board = await supervisor.GetFromJsonAsync<JsonElement>("/api/board");
        return board.GetProperty("callbacks").EnumerateArray().ToDictionary(c => c.GetProperty("language").GetString()!);
    }

    private static async Task CreateAsync(
        CallbackScheduler scheduler, string id, string language, SafeWindow window, DateTimeOffset expiresAt = default, bool draft = false) =>
        Assert.True(await scheduler.CreateAsync(
            new CallbackRequest("cb-" + id, "c-" + id, language, Start, expiresAt)
            {
                Windows = [window],
                Status = draft ? CallbackStatus.Draft : CallbackStatus.Waiting,
            },
            new CallbackSecrets("+40722000" + id[^1] + "00", null)));
}

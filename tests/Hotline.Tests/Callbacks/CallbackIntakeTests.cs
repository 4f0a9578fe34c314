using Hotline.Callbacks;
using Hotline.Conversations;
using Hotline.Functions.Configuration;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Hotline.Tests.Callbacks;

/// <summary>
/// Requests taken in from a conversation with the app's own services on Azurite: once per source, one per
/// conversation (a new one cancels the old and destroys its secrets), drafts never released and destroyed when left
/// unconfirmed, a confirmed draft waiting for its window, and the erasure of a caller's data cancelling her requests.
/// </summary>
public sealed class CallbackIntakeTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(Start);
    private readonly InMemoryCallbackSecrets _secrets = new();
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await RunningApp.StartAsync(
            new Dictionary<string, string?> { ["Callbacks:TimeZone"] = "Europe/Bucharest" },
            b =>
            {
                b.Services.AddSingleton<TimeProvider>(_clock);
                b.Services.AddSingleton<ICallbackSecrets>(_secrets);
            });
        var roster = _app.Services.GetRequiredService<IRosterStore>();
        await roster.SaveAsync(new Counsellor("ana", "Ana", ["ro"], OnCall: true, Capacity: 2));
        await roster.MarkSeenAsync("ana", new Presence(Start, PresenceSource.Console));
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private CallbackIntake Intake => _app.Services.GetRequiredService<CallbackIntake>();

    private ICallbackStore Store => _app.Services.GetRequiredService<ICallbackStore>();

    [Fact]
    public async Task A_request_is_made_once_per_source_and_a_new_one_replaces_the_conversations_last()
    {
        var conversation = await ConversationAsync();
        var ask = new CallbackAsk("+40722000113", [Window(1, 2)], MayLeaveMessage: true, CodeWord: "lavender");

        var first = await Intake.RequestAsync(conversation, "chat", "page-1", ask);
        var again = await Intake.RequestAsync(conversation, "chat", "page-1", ask with { CodeWord = "rose" });

        Assert.Equal(first.Request!.Id, again.Request!.Id);
        Assert.Equal(CallbackStatus.Waiting, first.Request.Status);
        Assert.Equal(CallbackSettings.DefaultCoverStories[0], first.Request.CoverStory);
        Assert.Equal("Europe/Bucharest", first.Request.TimeZone);
        Assert.Equal(new CallbackSecrets("+40722000113", "lavender"), await _secrets.ReadAsync(first.Request.Id));
        Assert.Equal(first.Request.Id, (await ConversationsFind(conversation))!.CallbackRequestId);
        Assert.Single(await Store.ListOpenAsync());

        var second = await Intake.RequestAsync(conversation, "console", "console-1", ask with { PhoneNumber = "+40722000114" });

        Assert.NotEqual(first.Request.Id, second.Request!.Id);
        Assert.Equal(second.Request.Id, (await ConversationsFind(conversation))!.CallbackRequestId);
        Assert.Equal(CallbackClosure.Cancelled, (await Store.FindAsync(first.Request.Id))!.ClosedAs);
        Assert.Null(await _secrets.ReadAsync(first.Request.Id));
        Assert.Equal([second.Request.Id], (await Store.ListOpenAsync()).Select(r => r.Id));
    }

    [Fact]
    public async Task A_request_without_a_window_ahead_or_with_an_unknown_cover_story_is_refused()
    {
        var conversation = await ConversationAsync();
        var passed = new SafeWindow(Start.AddHours(-3), Start.AddHours(-1));

        var late = await Intake.RequestAsync(conversation, "chat", "p1", new CallbackAsk("+40722000113", [passed], false, null));
        var story = await Intake.RequestAsync(conversation, "chat", "p2", new CallbackAsk("+40722000113", [Window(1, 2)], false, null, "A story nobody configured"));
        var missing = await Intake.RequestAsync("c-00000000000000000000", "chat", "p3", new CallbackAsk("+40722000113", [Window(1, 2)], false, null));

        Assert.Equal(CallbackAskProblem.NoWindow, late.Problem);
        Assert.Equal(CallbackAskProblem.UnknownCoverStory, story.Problem);
        Assert.Equal(CallbackAskProblem.ConversationNotFound, missing.Problem);
        Assert.Empty(await Store.ListOpenAsync());
        Assert.Empty(_secrets.Stored);
    }

    [Fact]
    public async Task A_draft_is_never_released_and_left_unconfirmed_it_closes_with_its_secrets_destroyed()
    {
        var conversation = await ConversationAsync();
        var draft = (await Intake.StartDraftAsync(conversation, "sms", "SM1", "+40722000113", "number")).Request!;
        Assert.True(await Intake.UpdateDraftAsync(draft with { Windows = [Window(0, 2)], SetupStep = "when" }));

        var scheduler = _app.Services.GetRequiredService<CallbackScheduler>();
        Assert.Equal(0, await scheduler.ReleaseDueAsync(Start.AddMinutes(30)));
        Assert.Equal(CallbackStatus.Draft, (await Store.FindAsync(draft.Id))!.Status);

        _clock.Advance(TimeSpan.FromDays(1));
        await scheduler.ReleaseDueAsync(_clock.GetUtcNow());

        Assert.Equal(CallbackStatus.Closed, (await Store.FindAsync(draft.Id))!.Status);
        Assert.Null(await _secrets.ReadAsync(draft.Id));
    }

    [Fact]
    public async Task A_confirmed_draft_waits_for_its_window_and_is_then_released()
    {
        var conversation = await ConversationAsync();
        var draft = (await Intake.StartDraftAsync(conversation, "sms", "SM2", "+40722000113", "number")).Request!;
        await Intake.SetDraftSecretsAsync(draft, new CallbackSecrets("+40722000115", "lavender"));
        Assert.True(await Intake.UpdateDraftAsync(draft with { Windows = [Window(2, 3)] }));
        draft = (await Store.FindAsync(draft.Id))!;

        Assert.True(await Intake.ConfirmAsync(draft));

        var waiting = (await Store.FindAsync(draft.Id))!;
        Assert.Equal((CallbackStatus.Waiting, (string?)null, Start + CallbackSettings.Default.Expiry), (waiting.Status, waiting.SetupStep, waiting.ExpiresAt));
        var scheduler = _app.Services.GetRequiredService<CallbackScheduler>();
        Assert.Equal(0, await scheduler.ReleaseDueAsync(Start.AddHours(2).AddMinutes(-1)));
        Assert.Equal(1, await scheduler.ReleaseDueAsync(Start.AddHours(2)));
        Assert.Equal(new CallbackSecrets("+40722000115", "lavender"), await _secrets.ReadAsync(draft.Id));
    }

    [Fact]
    public async Task A_draft_confirmed_without_a_time_may_be_called_any_time_in_waking_hours()
    {
        var conversation = await ConversationAsync();
        var draft = (await Intake.StartDraftAsync(conversation, "sms", "SM3", "+40722000113", "number")).Request!;

        Assert.True(await Intake.ConfirmAsync(draft));

        var windows = (await Store.FindAsync(draft.Id))!.Windows;
        Assert.True(windows.Count >= 7);
        // 08:00–23:00 in Bucharest (UTC+2 in December) every day, the first and last days cut by now and the expiry.
        Assert.All(windows.Skip(1).SkipLast(1), w => Assert.Equal((6, 21), (w.Start.UtcDateTime.Hour, w.End.UtcDateTime.Hour)));
    }

    [Fact]
    public async Task Erasing_a_callers_conversations_cancels_their_requests_and_destroys_the_numbers()
    {
        var mine = await ConversationAsync();
        var other = await ConversationAsync();
        var ask = new CallbackAsk("+40722000113", [Window(1, 2)], false, null);
        var request = (await Intake.RequestAsync(mine, "chat", "p1", ask)).Request!;
        var kept = (await Intake.RequestAsync(other, "chat", "p1", ask)).Request!;

        await Intake.CancelForConversationsAsync([mine]);

        Assert.Equal(CallbackClosure.Cancelled, (await Store.FindAsync(request.Id))!.ClosedAs);
        Assert.Null(await _secrets.ReadAsync(request.Id));
        Assert.Equal(CallbackStatus.Waiting, (await Store.FindAsync(kept.Id))!.Status);
    }

    [Theory]
    [InlineData("Callbacks:TimeZone", "Mars/Olympus", "Callbacks__TimeZone")]
    [InlineData("Callbacks:CoverStories", " | ", "Callbacks__CoverStories")]
    public async Task A_malformed_setting_stops_startup_naming_it(string key, string value, string named)
    {
        var e = await Assert.ThrowsAsync<StartupSettingException>(() => RunningApp.StartAsync(
            new Dictionary<string, string?> { [key] = value }, needsStorage: false));
        Assert.StartsWith($"Setting '{named}' is malformed", e.Message, StringComparison.Ordinal);
    }

    private static SafeWindow Window(int fromHours, int toHours) => new(Start.AddHours(fromHours), Start.AddHours(toHours));

    private Task<Conversation?> ConversationsFind(string id) => _app.Services.GetRequiredService<IConversationStore>().FindAsync(id);

    private async Task<string> ConversationAsync()
    {
        var id = ConversationIds.New();
        var conversation = new Conversation
        {
            Id = id, Channel = Channels.Sms, Language = "ro", CallerPseudonym = "p-" + id, CreatedAt = Start, LastMessageAt = Start,
        };
        var first = new ConversationMessage("m1", MessageDirection.Inbound, new SensitiveText("bună"), Start);
        Assert.True(await _app.Services.GetRequiredService<IConversationStore>().CreateAsync(conversation, first, "SM-" + id));
        return id;
    }
}

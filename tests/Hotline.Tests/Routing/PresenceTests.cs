using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Conversations;
using Hotline.Messaging;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Routing;
using Hotline.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Hotline.Tests.Routing;

/// <summary>
/// "On call" is what a counsellor means to do; an offer only reaches them if their console is open. A conversation
/// goes to counsellors who are on call and present (their console polled within <c>Routing__PresenceWindow</c>),
/// and the out-of-hours answer follows the same rule.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class PresenceTests : IAsyncLifetime
{
    // Near the real time: the consoles' sign-in tokens are checked against the real clock.
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await RunningApp.StartAsync(
            new Dictionary<string, string?> { ["Routing:PresenceWindow"] = "00:01:00" },
            b => b.Services.AddSingleton<TimeProvider>(_clock));
        await _app.Services.GetRequiredService<IRosterStore>().SaveAsync(new Counsellor("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 2));
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private IConversationStore Store => _app.Services.GetRequiredService<IConversationStore>();

    [Fact]
    public async Task An_on_call_counsellor_whose_console_was_never_seen_is_not_offered_the_conversation_until_it_polls()
    {
        var twiml = await (await new TwilioWebhookClient(_app).SendSmsAsync("+40722000601", "Bună ziua, am nevoie de ajutor")).Content.ReadAsStringAsync();

        // Nobody can see an offer: the caller is told so (and offered a callback), and nobody is offered it.
        Assert.Contains(Escaped(Texts.Get("ro", CallerText.OutOfHours, new Dictionary<string, string> { ["EmergencyNumber"] = "112" })), twiml, StringComparison.Ordinal);
        var id = await ConversationOfAsync("+40722000601");
        await Eventually.TrueAsync(async () => (await Store.FindAsync(id))!.Status == ConversationStatus.Waiting, "the conversation to wait");
        Assert.Null((await Store.FindAsync(id))!.AssignedTo);

        // Ioana opens her console: the next sweep offers it to her.
        await OpenConsoles.PollAsync(_app, "ioana");
        await _app.Services.GetRequiredService<ConversationAssigner>().RerouteStaleAsync();
        var offered = (await Store.FindAsync(id))!;
        Assert.Equal((ConversationStatus.Offered, "ioana"), (offered.Status, offered.AssignedTo));

        // The roster shows who is there.
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        var ioana = (await sam.GetFromJsonAsync<JsonElement[]>(new Uri("/api/roster", UriKind.Relative)))!.Single(c => c.GetProperty("id").GetString() == "ioana");
        Assert.True(ioana.GetProperty("present").GetBoolean());
        Assert.Equal(_clock.GetUtcNow(), ioana.GetProperty("lastSeenAt").GetDateTimeOffset());
        var board = await sam.GetFromJsonAsync<JsonElement>(new Uri("/api/board", UriKind.Relative));
        Assert.True(board.GetProperty("counsellors").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "ioana").GetProperty("present").GetBoolean());
        var romanian = board.GetProperty("coverage").EnumerateArray().Single(c => c.GetProperty("language").GetString() == "ro");
        Assert.Equal(["ioana"], romanian.GetProperty("present").EnumerateArray().Select(p => p.GetString()));

        // A minute later with the console closed, she is on call but not present.
        _clock.Advance(TimeSpan.FromSeconds(61));
        board = await sam.GetFromJsonAsync<JsonElement>(new Uri("/api/board", UriKind.Relative));
        Assert.Empty(board.GetProperty("coverage").EnumerateArray().Single(c => c.GetProperty("language").GetString() == "ro").GetProperty("present").EnumerateArray());
    }

    [Fact]
    public async Task A_console_closed_longer_than_the_window_no_longer_counts_and_the_caller_gets_the_out_of_hours_answer()
    {
        await OpenConsoles.PollAsync(_app, "ioana");
        var ack = await (await new TwilioWebhookClient(_app).SendSmsAsync("+40722000602", "Bună ziua, am nevoie de ajutor")).Content.ReadAsStringAsync();
        Assert.Contains(Escaped(Texts.Get("ro", CallerText.Acknowledgement, new Dictionary<string, string> { ["Language"] = "Română" })), ack, StringComparison.Ordinal);

        _clock.Advance(TimeSpan.FromSeconds(61)); // Ioana closed her console a minute ago, still on call
        var twiml = await (await new TwilioWebhookClient(_app).SendSmsAsync("+40722000603", "Bună seara, am o problemă la muncă")).Content.ReadAsStringAsync();

        Assert.Contains(Escaped(Texts.Get("ro", CallerText.OutOfHours, new Dictionary<string, string> { ["EmergencyNumber"] = "112" })), twiml, StringComparison.Ordinal);
        var id = await ConversationOfAsync("+40722000603");
        await Eventually.TrueAsync(async () => (await Store.FindAsync(id))!.Status == ConversationStatus.Waiting, "the conversation to wait");
        Assert.True((await _app.Services.GetRequiredService<IRosterStore>().FindAsync("ioana"))!.OnCall);
    }

    [Fact]
    public async Task An_offer_to_a_counsellor_who_closed_the_console_moves_on_at_the_next_sweep_not_after_the_offer_timeout()
    {
        await _app.Services.GetRequiredService<IRosterStore>().SaveAsync(new Counsellor("mihai", "Mihai", ["ro"], OnCall: true, Capacity: 2));
        await OpenConsoles.PollAsync(_app, "ioana");
        await new TwilioWebhookClient(_app).SendSmsAsync("+40722000604", "Bună ziua, am nevoie de ajutor");
        var id = await ConversationOfAsync("+40722000604");
        await Eventually.TrueAsync(async () => (await Store.FindAsync(id))!.AssignedTo == "ioana", "the offer to Ioana");

        // Ioana closes her console; Mihai opens his. Well within the two-minute offer timeout:
        _clock.Advance(TimeSpan.FromSeconds(61));
        await OpenConsoles.PollAsync(_app, "mihai");
        await _app.Services.GetRequiredService<ConversationAssigner>().RerouteStaleAsync();

        var moved = (await Store.FindAsync(id))!;
        Assert.Equal((ConversationStatus.Offered, "mihai"), (moved.Status, moved.AssignedTo));
        Assert.Contains(moved.Hops, h => h.CounsellorId == "ioana" && h.Reason == ConversationAssigner.AwayReason);
        Assert.Equal(0, (await _app.Services.GetRequiredService<ICounsellorLoads>().OpenCountsAsync()).GetValueOrDefault("ioana"));
    }

    [Theory]
    [InlineData("Routing:PresenceWindow", "a minute")]
    [InlineData("Routing:HoldingMessageAfter", "00:00:00")]
    public async Task A_presence_window_or_holding_time_that_is_not_a_positive_duration_stops_startup_naming_it(string setting, string value)
    {
        var e = await Assert.ThrowsAsync<Hotline.Functions.Configuration.StartupSettingException>(() => RunningApp.StartAsync(
            new Dictionary<string, string?> { [setting] = value }, needsStorage: false));
        Assert.StartsWith($"Setting '{setting.Replace(":", "__", StringComparison.Ordinal)}' is malformed", e.Message, StringComparison.Ordinal);
    }

    private CallerTexts Texts => _app.Services.GetRequiredService<CallerTexts>();

    private static string Escaped(string text) => $"<Message>{System.Security.SecurityElement.Escape(text)}</Message>";

    private async Task<string> ConversationOfAsync(string number)
    {
        var pseudonym = await _app.Services.GetRequiredService<CallerPseudonymizer>().PseudonymOfAsync(number);
        return (await Store.FindCallerAsync(pseudonym))!.OpenConversationId!;
    }
}

/// <summary>Presence costs one storage write per counsellor every few polls, not one per poll.</summary>
public sealed class PresenceRecorderTests
{
    [Fact]
    public async Task Last_seen_is_written_at_most_once_per_15_seconds_however_often_and_at_once_the_console_polls()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 3, 0, 0, TimeSpan.Zero));
        var roster = new CountingRoster();
        var recorder = new PresenceRecorder(roster, clock, TimeSpan.FromMinutes(1));

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => recorder.SeenAsync("ioana", PresenceSource.Console)));
        Assert.Equal(1, roster.Writes);
        clock.Advance(TimeSpan.FromSeconds(14));
        await recorder.SeenAsync("ioana", PresenceSource.Console);
        Assert.Equal(1, roster.Writes);
        clock.Advance(TimeSpan.FromSeconds(1));
        await recorder.SeenAsync("ioana", PresenceSource.Console);
        await recorder.SeenAsync("oksana", PresenceSource.Console);
        Assert.Equal(3, roster.Writes);
        Assert.Equal(clock.GetUtcNow(), roster.Seen["ioana"].At);
    }

    [Fact]
    public void A_short_window_writes_more_often_so_presence_never_lapses_between_writes()
    {
        var recorder = new PresenceRecorder(new CountingRoster(), TimeProvider.System, TimeSpan.FromSeconds(20));
        Assert.Equal(TimeSpan.FromSeconds(5), recorder.WriteInterval);
    }

    private sealed class CountingRoster : IRosterStore
    {
        private int _writes;

        public int Writes => _writes;

        public Dictionary<string, Presence> Seen { get; } = [];

        public Task<bool> MarkSeenAsync(string counsellorId, Presence presence, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _writes);
            lock (Seen)
            {
                Seen[counsellorId] = presence;
            }

            return Task.FromResult(true);
        }

        public Task<IReadOnlyList<Counsellor>> ListAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<Counsellor?> FindAsync(string counsellorId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task SaveAsync(Counsellor counsellor, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> SetOnCallAsync(string counsellorId, bool onCall, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> SetPhoneAsync(string counsellorId, StaffPhoneNumber? phone, bool takesCallsOnPhone, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}

using Hotline.Conversations;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Routing;
using Hotline.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Hotline.Tests.Routing;

/// <summary>An offer nobody accepts within the timeout goes to the next counsellor, and each hop is recorded.</summary>
public sealed class OfferTimeoutTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero));
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await RunningApp.StartAsync(configure: b => b.Services.AddSingleton<TimeProvider>(_clock));
        var roster = _app.Services.GetRequiredService<IRosterStore>();
        await roster.SaveAsync(new Counsellor("first", "First", ["uk"], OnCall: true, Capacity: 1));
        await roster.SaveAsync(new Counsellor("second", "Second", ["uk"], OnCall: true, Capacity: 2));
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task An_unaccepted_offer_moves_on_after_the_timeout_and_the_slot_is_released()
    {
        var store = _app.Services.GetRequiredService<IConversationStore>();
        var assigner = _app.Services.GetRequiredService<ConversationAssigner>();
        var loads = _app.Services.GetRequiredService<ICounsellorLoads>();
        var id = ConversationIds.New();
        var conversation = new Conversation { Id = id, Channel = Channels.Sms, Language = "uk", CallerPseudonym = "p-test", CreatedAt = _clock.GetUtcNow(), LastMessageAt = _clock.GetUtcNow() };
        await store.CreateAsync(conversation, new ConversationMessage("m1", MessageDirection.Inbound, new SensitiveText("Доброго дня"), _clock.GetUtcNow()), null);

        await assigner.AssignAsync(id);
        var offered = (await store.FindAsync(id))!;
        Assert.Equal(ConversationStatus.Offered, offered.Status);
        var firstChoice = offered.AssignedTo!;

        _clock.Advance(TimeSpan.FromSeconds(119));
        await assigner.RerouteStaleAsync();
        Assert.Equal(firstChoice, (await store.FindAsync(id))!.AssignedTo);

        _clock.Advance(TimeSpan.FromSeconds(1));
        await assigner.RerouteStaleAsync();

        var moved = (await store.FindAsync(id))!;
        Assert.Equal(ConversationStatus.Offered, moved.Status);
        Assert.NotEqual(firstChoice, moved.AssignedTo);
        Assert.Equal(
            [$"offered:{firstChoice}", $"{ConversationAssigner.TimeoutReason}:{firstChoice}", $"offered:{moved.AssignedTo}"],
            moved.Hops.Select(h => (h.Reason.StartsWith("offered", StringComparison.Ordinal) ? "offered" : h.Reason) + ":" + h.CounsellorId));
        var open = await loads.OpenCountsAsync();
        Assert.Equal(0, open.GetValueOrDefault(firstChoice));
        Assert.Equal(1, open[moved.AssignedTo!]);
    }
}

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
    // Near the real time: the consoles' sign-in tokens are checked against the real clock.
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await RunningApp.StartAsync(configure: b => b.Services.AddSingleton<TimeProvider>(_clock));
        var roster = _app.Services.GetRequiredService<IRosterStore>();
        await roster.SaveAsync(new Counsellor("first", "First", ["uk"], OnCall: true, Capacity: 1));
        await roster.SaveAsync(new Counsellor("second", "Second", ["uk"], OnCall: true, Capacity: 2));
        await OpenConsoles.PollAsync(_app, "first", "second");
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
        await OpenConsoles.PollAsync(_app, "first", "second"); // both consoles stay open meanwhile
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

/// <summary>A slot left behind by a crashed routing attempt is given back, but never one a router is about to use.</summary>
public sealed class OrphanedSlotTests : IAsyncLifetime
{
    private RunningApp _app = null!;

    public async Task InitializeAsync() => _app = await RunningApp.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task An_orphaned_slot_is_released_at_the_second_sweep_and_a_real_offer_keeps_its_slot()
    {
        var store = _app.Services.GetRequiredService<IConversationStore>();
        var loads = _app.Services.GetRequiredService<ICounsellorLoads>();
        var assigner = _app.Services.GetRequiredService<ConversationAssigner>();
        await _app.Services.GetRequiredService<IRosterStore>().SaveAsync(new Counsellor("vera", "Vera", ["bg"], OnCall: true, Capacity: 2));
        await OpenConsoles.PollAsync(_app, "vera");

        var real = ConversationIds.New();
        var now = DateTimeOffset.UtcNow;
        await store.CreateAsync(new Conversation { Id = real, Channel = Channels.Sms, Language = "bg", CallerPseudonym = "p-real", CreatedAt = now, LastMessageAt = now },
            new ConversationMessage("m1", MessageDirection.Inbound, new SensitiveText("Здравейте"), now), null);
        await assigner.AssignAsync(real);
        var orphan = ConversationIds.New(); // a router reserved this slot and died before recording the offer
        Assert.Equal(Reservation.Reserved, await loads.TryReserveAsync("vera", orphan, 2));

        Assert.Equal(0, await assigner.ReleaseOrphanedSlotsAsync()); // first sweep: only suspected
        Assert.Equal(2, (await loads.OpenCountsAsync())["vera"]);
        Assert.Equal(1, await assigner.ReleaseOrphanedSlotsAsync()); // second sweep: released

        var held = (await loads.HeldAsync())["vera"];
        Assert.Equal([real], held);
    }
}

/// <summary>When counsellors are full, the slot that frees up goes to a waiting emergency before older conversations.</summary>
public sealed class EmergencyFirstTests : IAsyncLifetime
{
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await RunningApp.StartAsync();
        await _app.Services.GetRequiredService<IRosterStore>().SaveAsync(new Counsellor("solo", "Solo", ["sq"], OnCall: true, Capacity: 1));
        await OpenConsoles.PollAsync(_app, "solo");
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_waiting_emergency_gets_the_next_free_slot_ahead_of_a_conversation_that_waited_longer()
    {
        var store = _app.Services.GetRequiredService<IConversationStore>();
        var assigner = _app.Services.GetRequiredService<ConversationAssigner>();
        var now = DateTimeOffset.UtcNow;
        async Task<string> WaitingAsync(string id, TimeSpan age, DateTimeOffset? emergencyAt = null)
        {
            var conversation = new Conversation
            {
                Id = id, Channel = Channels.Sms, Language = "sq", CallerPseudonym = "p-" + id, CreatedAt = now - age, LastMessageAt = now - age,
                EmergencyAt = emergencyAt,
            };
            await store.CreateAsync(conversation, new ConversationMessage("m1", MessageDirection.Inbound, new SensitiveText("Përshëndetje"), now - age), null);
            await assigner.AssignAsync(id);
            return id;
        }

        var busy = await WaitingAsync(ConversationIds.New(), TimeSpan.FromMinutes(20));
        Assert.Equal("solo", (await store.FindAsync(busy))!.AssignedTo);
        // Listed first (by id) and waiting longest, yet not in danger.
        var older = await WaitingAsync("c-00000000000000000001", TimeSpan.FromMinutes(10));
        var emergency = await WaitingAsync("c-fffffffffffffffffffe", TimeSpan.FromMinutes(1), emergencyAt: now);
        Assert.Equal(ConversationStatus.Waiting, (await store.FindAsync(older))!.Status);
        Assert.Equal(ConversationStatus.Waiting, (await store.FindAsync(emergency))!.Status);

        await _app.Services.GetRequiredService<ConversationCloser>().CloseAsync((await store.FindAsync(busy))!, "solo", "done");
        await assigner.RerouteStaleAsync();

        Assert.Equal((ConversationStatus.Offered, "solo"), ((await store.FindAsync(emergency))!.Status, (await store.FindAsync(emergency))!.AssignedTo));
        Assert.Equal(ConversationStatus.Waiting, (await store.FindAsync(older))!.Status);
    }
}

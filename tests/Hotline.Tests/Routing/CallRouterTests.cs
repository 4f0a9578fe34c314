using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Routing;

namespace Hotline.Tests.Routing;

/// <summary>Whose phones ring for a call: the text routing's tiers, among counsellors who have a phone and can be rung.</summary>
public sealed class CallRouterTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 3, 0, 0, TimeSpan.Zero);
    private static readonly Presence JustSeen = new(Now.AddSeconds(-5), PresenceSource.Console);
    private static readonly Presence LongAgo = new(Now.AddHours(-3), PresenceSource.Console);

    // Console open, with a phone: rung although they do not take calls on the phone without the console.
    private static readonly Counsellor AtConsole = Ro("ioana", 1) with { LastSeen = JustSeen };

    // Console closed, takes calls on the phone.
    private static readonly Counsellor PhoneOnly = Ro("mihai", 2) with { TakesCallsOnPhone = true, LastSeen = LongAgo };

    [Fact]
    public void A_counsellor_is_rung_with_the_console_open_or_taking_calls_on_the_phone_and_never_without_a_phone()
    {
        var noPhoneAtConsole = new Counsellor("nophone", "No phone", ["ro"], OnCall: true, Capacity: 3) { LastSeen = JustSeen };
        var consoleClosed = Ro("closed", 3) with { LastSeen = LongAgo };
        var neverSeen = Ro("never", 4);

        var ranked = Everyone(CallRouter.RankCallTiers("ro", [noPhoneAtConsole, consoleClosed, neverSeen, AtConsole, PhoneOnly], Open(), RoutingPolicy.Default, Now));

        Assert.Equal(["ioana", "mihai"], ranked.Select(c => c.Counsellor.Id).Order());
    }

    [Fact]
    public void Off_call_at_capacity_without_capacity_or_excluded_is_not_rung()
    {
        var offCall = PhoneOnly with { Id = "off", OnCall = false };
        var noCapacity = PhoneOnly with { Id = "zero", Capacity = 0 };
        var full = PhoneOnly with { Id = "full", Capacity = 2 };

        var ranked = Everyone(CallRouter.RankCallTiers(
            "ro", [offCall, noCapacity, full, AtConsole, PhoneOnly], Open(("full", 2)), RoutingPolicy.Default, Now, exclude: new HashSet<string> { "mihai" }));

        Assert.Equal(["ioana"], ranked.Select(c => c.Counsellor.Id));
    }

    [Fact]
    public void Speakers_come_first_fewest_open_first_then_the_fallback_chain_tier_by_tier()
    {
        var interpreted = Phoned(new Counsellor("ana", "Ana", ["en"], OnCall: true, Capacity: 3) { InterpreterLanguages = ["ro"], TakesCallsOnPhone = true }, 5);
        var brings = Phoned(new Counsellor("lucia", "Lucía", ["es"], OnCall: true, Capacity: 3) { BringsInterpreter = true, TakesCallsOnPhone = true }, 6);
        var supervisor = Phoned(new Counsellor("sam", "Sam", ["en"], OnCall: true, Capacity: 1) { SupervisorOnDuty = true, LastSeen = JustSeen }, 7);
        var roster = new[] { supervisor, brings, interpreted, AtConsole, PhoneOnly };
        var open = Open(("ioana", 1)); // Mihai has none open, so is rung first

        var tiers = CallRouter.RankCallTiers("ro", roster, open, RoutingPolicy.Default, Now);
        var ranked = Everyone(tiers);

        Assert.Equal(
            [("mihai", "language"), ("ioana", "language"), ("ana", "interpreter-service"), ("lucia", "any-with-interpreter"), ("sam", "supervisor")],
            ranked.Select(c => (c.Counsellor.Id, c.Tier)));
        Assert.Equal(["language", "interpreter-service", "any-with-interpreter", "supervisor"], tiers.Select(t => t.Tier));
        Assert.Equal(["mihai", "ioana"], tiers[0].Candidates.Select(c => c.Counsellor.Id));
        Assert.All(tiers, t => Assert.All(t.Candidates, c => Assert.Equal(t.Tier, c.Tier)));
    }

    [Fact]
    public void Each_tier_holds_at_most_ten_the_most_rung_at_once()
    {
        var speakers = Enumerable.Range(0, 14).Select(i => Ro($"ro{i:00}", 10 + i) with { TakesCallsOnPhone = true }).ToList();
        var supervisor = Phoned(new Counsellor("sam", "Sam", ["en"], OnCall: true, Capacity: 1) { SupervisorOnDuty = true, TakesCallsOnPhone = true }, 99);
        List<Counsellor> roster = [.. speakers, supervisor];

        var tiers = CallRouter.RankCallTiers("ro", roster, Open(), RoutingPolicy.Default, Now);
        var three = CallRouter.RankCallTiers("ro", roster, Open(), RoutingPolicy.Default, Now, max: 3);

        Assert.Equal(10, tiers[0].Candidates.Count);
        Assert.All(tiers[0].Candidates, c => Assert.Equal("language", c.Tier));
        Assert.Equal(3, three[0].Candidates.Count);
        Assert.Equal(["sam"], tiers[1].Candidates.Select(c => c.Counsellor.Id));
    }

    [Fact]
    public void Nobody_who_can_be_rung_gives_no_tiers()
    {
        Assert.Empty(CallRouter.RankCallTiers("ro", [AtConsole with { OnCall = false }], Open(), RoutingPolicy.Default, Now));
        Assert.Empty(CallRouter.RankCallTiers("uk", [AtConsole, PhoneOnly], Open(), new RoutingPolicy([], TimeSpan.FromMinutes(2)), Now));
    }

    [Fact]
    public void Text_routing_still_offers_only_counsellors_with_the_console_open()
    {
        var ranked = ConversationRouter.Rank("ro", [AtConsole, PhoneOnly], Open(), RoutingPolicy.Default, Now);
        Assert.Equal(["ioana"], ranked.Select(c => c.Counsellor.Id));
    }

    private static Counsellor Ro(string id, int n) => Phoned(new Counsellor(id, id, ["ro"], OnCall: true, Capacity: 3), n);

    // Ofcom's drama range: numbers that ring nobody.
    private static Counsellor Phoned(Counsellor c, int n) => c with { Phone = StaffPhoneNumber.Parse($"+44 7700 900{n:000}") };

    private static Dictionary<string, int> Open(params (string Id, int Count)[] counts) => counts.ToDictionary(c => c.Id, c => c.Count);

    private static List<RoutingCandidate> Everyone(IReadOnlyList<CallTier> tiers) => [.. tiers.SelectMany(t => t.Candidates)];
}

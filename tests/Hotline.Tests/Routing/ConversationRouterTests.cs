using Hotline.Roster;
using Hotline.Routing;

namespace Hotline.Tests.Routing;

public sealed class ConversationRouterTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 3, 0, 0, TimeSpan.Zero);
    private static readonly Presence JustSeen = new(Now.AddSeconds(-5), PresenceSource.Console);
    private static readonly Counsellor Ioana = new("ioana", "Ioana", ["ro", "en"], OnCall: true, Capacity: 3) { LastSeen = JustSeen };
    private static readonly Counsellor Mihai = new("mihai", "Mihai", ["ro"], OnCall: true, Capacity: 2) { LastSeen = JustSeen };
    private static readonly Counsellor Oksana = new("oksana", "Oksana", ["uk", "ru"], OnCall: true, Capacity: 3) { LastSeen = JustSeen };
    private static readonly Counsellor Off = new("off", "Off duty", ["ro"], OnCall: false, Capacity: 3) { LastSeen = JustSeen };
    private static readonly Counsellor Interpreted = new("ana", "Ana", ["en"], OnCall: true, Capacity: 3) { InterpreterLanguages = ["sq"], LastSeen = JustSeen };
    private static readonly Counsellor Brings = new("lucia", "Lucía", ["es"], OnCall: true, Capacity: 3) { BringsInterpreter = true, LastSeen = JustSeen };
    private static readonly Counsellor Supervisor = new("sam", "Sam", ["en"], OnCall: true, Capacity: 1) { SupervisorOnDuty = true, LastSeen = JustSeen };

    [Fact]
    public void A_Romanian_conversation_goes_to_a_Romanian_speaker_and_never_to_the_Ukrainian_one()
    {
        var ranked = Rank("ro", [Oksana, Ioana, Mihai]);
        Assert.Equal(["ioana", "mihai"], ranked.Select(c => c.Counsellor.Id));
        Assert.All(ranked, c => Assert.Equal(ConversationRouter.LanguageTier, c.Tier));
    }

    [Fact]
    public void The_speaker_with_the_fewest_open_conversations_comes_first()
    {
        var ranked = Rank("ro", [Ioana, Mihai], new Dictionary<string, int> { ["ioana"] = 2, ["mihai"] = 0 });
        Assert.Equal("mihai", ranked[0].Counsellor.Id);
    }

    [Fact]
    public void Nobody_at_or_over_capacity_or_off_call_or_excluded_is_offered()
    {
        var full = new Dictionary<string, int> { ["mihai"] = 2 };
        Assert.Equal(["ioana"], Rank("ro", [Ioana, Mihai, Off], full).Select(c => c.Counsellor.Id));
        Assert.Empty(Rank("ro", [Ioana, Mihai, Off], full, exclude: ["ioana"]));
    }

    [Fact]
    public void Without_a_speaker_the_fallback_chain_is_followed_in_order()
    {
        var ranked = Rank("sq", [Supervisor, Brings, Interpreted, Oksana]);
        Assert.Equal(
            [("ana", "interpreter-service"), ("lucia", "any-with-interpreter"), ("sam", "supervisor")],
            ranked.Select(c => (c.Counsellor.Id, c.Tier)));
    }

    [Fact]
    public void The_chain_is_configurable()
    {
        var policy = new RoutingPolicy([FallbackStep.Supervisor], TimeSpan.FromSeconds(60));
        var ranked = ConversationRouter.Rank("sq", [Supervisor, Brings, Interpreted], new Dictionary<string, int>(), policy, Now);
        Assert.Equal(["sam"], ranked.Select(c => c.Counsellor.Id));
    }

    [Fact]
    public void Out_of_hours_means_nobody_on_call_can_take_it()
    {
        Assert.Null(ConversationRouter.ExpectedTier("ro", [Off], RoutingPolicy.Default, Now));
        Assert.NotNull(ConversationRouter.ExpectedTier("ro", [Off, Supervisor], RoutingPolicy.Default, Now));
    }

    [Fact]
    public void An_on_call_counsellor_whose_console_was_never_seen_or_not_lately_is_not_offered_anything()
    {
        var neverSeen = Mihai with { LastSeen = null };
        var gone = Ioana with { LastSeen = new Presence(Now - RoutingPolicy.Default.PresenceWindow - TimeSpan.FromSeconds(1), PresenceSource.Console) };
        Assert.Empty(Rank("ro", [neverSeen, gone]));
        Assert.Empty(Rank("sq", [Supervisor with { LastSeen = null }, Brings with { LastSeen = null }]));

        var justInside = Ioana with { LastSeen = new Presence(Now - RoutingPolicy.Default.PresenceWindow, PresenceSource.Console) };
        Assert.Equal(["ioana"], Rank("ro", [neverSeen, justInside]).Select(c => c.Counsellor.Id));
    }

    [Fact]
    public void Out_of_hours_uses_the_same_rule_nobody_present_is_nobody_on_call()
    {
        Assert.Null(ConversationRouter.ExpectedTier("ro", [Ioana with { LastSeen = null }, Supervisor with { LastSeen = null }], RoutingPolicy.Default, Now));
        Assert.Null(ConversationRouter.ExpectedTier("ro", [Ioana], RoutingPolicy.Default, Now + TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void The_expected_answer_follows_the_chain_over_who_is_present()
    {
        Assert.Equal(ConversationRouter.LanguageTier, ConversationRouter.ExpectedTier("ro", [Ioana, Supervisor], RoutingPolicy.Default, Now));
        Assert.Equal(ConversationRouter.InterpreterServiceTier, ConversationRouter.ExpectedTier("sq", [Interpreted, Supervisor], RoutingPolicy.Default, Now));
        Assert.Equal(ConversationRouter.AnyWithInterpreterTier, ConversationRouter.ExpectedTier("zh", [Brings, Supervisor, Ioana], RoutingPolicy.Default, Now));
        Assert.Equal(ConversationRouter.SupervisorTier, ConversationRouter.ExpectedTier("zh", [Supervisor, Ioana], RoutingPolicy.Default, Now));
        // Only a supervisor who is there counts; counsellors who cannot take Chinese in any way do not.
        Assert.Null(ConversationRouter.ExpectedTier("zh", [Supervisor with { LastSeen = null }, Ioana, Oksana], RoutingPolicy.Default, Now));
        // A full speaker still answers once a slot frees: that is what the caller is told.
        Assert.Equal(ConversationRouter.LanguageTier, ConversationRouter.ExpectedTier("ro", [Mihai], RoutingPolicy.Default, Now));
    }

    private static IReadOnlyList<RoutingCandidate> Rank(
        string language, Counsellor[] roster, Dictionary<string, int>? open = null, string[]? exclude = null) =>
        ConversationRouter.Rank(language, roster, open ?? [], RoutingPolicy.Default, Now, exclude?.ToHashSet());
}

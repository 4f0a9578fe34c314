using Hotline.Roster;

namespace Hotline.Routing;

/// <summary>The counsellors of one tier of the chain, to be rung together.</summary>
public sealed record CallTier(string Tier, IReadOnlyList<RoutingCandidate> Candidates);

/// <summary>
/// Decides whose phones ring for a voice call: the tiers of <see cref="ConversationRouter.Rank"/> (the caller's
/// language, then the fallback chain), fewest open conversations first within a tier, but among counsellors who can be
/// rung (<see cref="Counsellor.CanBeRung"/>: a phone, on call, and taking calls on that phone or with the console open)
/// and are below capacity. Pure: the caller reserves a slot for whoever answers.
/// </summary>
public static class CallRouter
{
    /// <summary>How many counsellors' phones are rung at once for a call.</summary>
    public const int MaxRungAtOnce = 10;

    /// <summary>
    /// The counsellors who could be rung, grouped by tier, in the order of the chain, leaving out tiers with nobody in them; each tier
    /// holds at most <paramref name="max"/> (the first of its ranking). Ring the first tier; if nobody answers, the next
    /// (or rank again, excluding who was rung, to see who is free by then).
    /// </summary>
    public static IReadOnlyList<CallTier> RankCallTiers(
        string language,
        IEnumerable<Counsellor> roster,
        IReadOnlyDictionary<string, int> openConversations,
        RoutingPolicy policy,
        DateTimeOffset now,
        int max = MaxRungAtOnce,
        IReadOnlySet<string>? exclude = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        return [.. RankAll(language, roster, openConversations, policy, now, exclude)
            .GroupBy(c => c.Tier) // groups come in the order of their first element, so in the chain's order
            .Select(g => new CallTier(g.Key, [.. g.Take(max)]))];
    }

    private static IReadOnlyList<RoutingCandidate> RankAll(
        string language,
        IEnumerable<Counsellor> roster,
        IReadOnlyDictionary<string, int> openConversations,
        RoutingPolicy policy,
        DateTimeOffset now,
        IReadOnlySet<string>? exclude) =>
        ConversationRouter.RankWhere(
            language, roster, openConversations, policy, c => c.Capacity > 0 && c.CanBeRung(now, policy.PresenceWindow), exclude);
}

using Hotline.Roster;
using Hotline.Routing;

namespace Hotline.Calls;

/// <summary>Counsellors who could be rung for a call, one group per tier of the routing chain, in the chain's order.</summary>
public sealed record CallTier(string Tier, IReadOnlyList<Counsellor> Counsellors);

public static class CallRouting
{
    /// <summary>
    /// The routing chain for a call, tier by tier (only tiers with someone in them), leaving out
    /// <paramref name="exclude"/> (those already rung).
    /// </summary>
    public static IReadOnlyList<CallTier> TiersForCall(
        string language,
        IEnumerable<Counsellor> roster,
        IReadOnlyDictionary<string, int> openConversations,
        RoutingPolicy policy,
        DateTimeOffset now,
        IReadOnlySet<string> exclude) =>
        ConversationRouter.Rank(language, roster, openConversations, policy, now, exclude)
            .GroupBy(c => c.Tier)
            .Select(g => new CallTier(g.Key, g.Select(c => c.Counsellor).ToList()))
            .ToList();
}

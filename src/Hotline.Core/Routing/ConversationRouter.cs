using Hotline.Roster;

namespace Hotline.Routing;

/// <summary>A step of the fallback chain, tried in order when nobody on call speaks the caller's language.</summary>
public enum FallbackStep
{
    /// <summary>Counsellors who serve the language through the contracted interpreter service.</summary>
    InterpreterService,

    /// <summary>Any on-call counsellor willing to bring in an interpreter.</summary>
    AnyWithInterpreter,

    /// <summary>The supervisor on duty.</summary>
    Supervisor,
}

public sealed record RoutingPolicy(IReadOnlyList<FallbackStep> Fallback, TimeSpan OfferTimeout)
{
    public static RoutingPolicy Default { get; } = new(
        [FallbackStep.InterpreterService, FallbackStep.AnyWithInterpreter, FallbackStep.Supervisor],
        TimeSpan.FromSeconds(120));

    /// <summary>A counsellor counts as present when seen this recently (their console polls every 2 s).</summary>
    public TimeSpan PresenceWindow { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A caller nobody has answered yet gets one short holding message after waiting this long.</summary>
    public TimeSpan HoldingMessageAfter { get; init; } = TimeSpan.FromMinutes(3);
}

/// <summary>A counsellor who could take the conversation, and why (the tier of the chain that found them).</summary>
public sealed record RoutingCandidate(Counsellor Counsellor, string Tier);

/// <summary>
/// Decides who should get a new conversation: on-call counsellors who speak the language, fewest open conversations
/// first; then the fallback chain, tier by tier. Only counsellors who are on call, present (their console was seen
/// within <see cref="RoutingPolicy.PresenceWindow"/>) and below capacity are offered. The caller of this class
/// reserves a slot atomically before assigning, so a ranking that went stale is harmless.
/// </summary>
public static class ConversationRouter
{
    public const string LanguageTier = "language";
    public const string InterpreterServiceTier = "interpreter-service";
    public const string AnyWithInterpreterTier = "any-with-interpreter";
    public const string SupervisorTier = "supervisor";

    public static IReadOnlyList<RoutingCandidate> Rank(
        string language,
        IEnumerable<Counsellor> roster,
        IReadOnlyDictionary<string, int> openConversations,
        RoutingPolicy policy,
        DateTimeOffset now,
        IReadOnlySet<string>? exclude = null) =>
        RankWhere(language, roster, openConversations, policy, c => CanTake(c, policy, now), exclude);

    /// <summary>
    /// The tiers of <see cref="Rank"/> over the counsellors <paramref name="canTake"/> accepts (and who are not
    /// excluded and below capacity): the language first, then the fallback chain in order; each counsellor once,
    /// in the first tier that fits them.
    /// </summary>
    internal static IReadOnlyList<RoutingCandidate> RankWhere(
        string language,
        IEnumerable<Counsellor> roster,
        IReadOnlyDictionary<string, int> openConversations,
        RoutingPolicy policy,
        Func<Counsellor, bool> canTake,
        IReadOnlySet<string>? exclude)
    {
        var available = roster
            .Where(c => canTake(c) && exclude?.Contains(c.Id) != true)
            .Where(c => openConversations.GetValueOrDefault(c.Id) < c.Capacity)
            .ToList();

        var ranked = new List<RoutingCandidate>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void AddTier(string tier, Func<Counsellor, bool> fits)
        {
            // Ties are broken at random: routers running at once then spread over equally loaded counsellors
            // instead of all contending for the same one.
            foreach (var c in available.Where(fits)
                         .OrderBy(c => openConversations.GetValueOrDefault(c.Id))
                         .ThenByDescending(c => c.Capacity - openConversations.GetValueOrDefault(c.Id))
                         .ThenBy(_ => Random.Shared.Next()))
            {
                if (seen.Add(c.Id))
                {
                    ranked.Add(new RoutingCandidate(c, tier));
                }
            }
        }

        AddTier(LanguageTier, c => c.Languages.Contains(language, StringComparer.OrdinalIgnoreCase));
        foreach (var step in policy.Fallback)
        {
            switch (step)
            {
                case FallbackStep.InterpreterService:
                    AddTier(InterpreterServiceTier, c => c.InterpreterLanguages.Contains(language, StringComparer.OrdinalIgnoreCase));
                    break;
                case FallbackStep.AnyWithInterpreter:
                    AddTier(AnyWithInterpreterTier, c => c.BringsInterpreter);
                    break;
                case FallbackStep.Supervisor:
                    AddTier(SupervisorTier, c => c.SupervisorOnDuty);
                    break;
            }
        }

        return ranked;
    }

    /// <summary>
    /// Who will answer a conversation in <paramref name="language"/>, as far as the roster tells now: the tier of the
    /// first counsellor who could take it once a slot is free (<see cref="LanguageTier"/>, a fallback tier), or null
    /// when nobody on call and present can (the caller then gets the out-of-hours answer). What the caller is told
    /// rests on this, so it never promises more.
    /// </summary>
    public static string? ExpectedTier(string language, IEnumerable<Counsellor> roster, RoutingPolicy policy, DateTimeOffset now) =>
        Rank(language, roster, new Dictionary<string, int>(), policy, now).FirstOrDefault()?.Tier;

    /// <summary>How this counsellor serves <paramref name="language"/>: speaking it, with an interpreter, or not at all.</summary>
    public static string TierOf(Counsellor counsellor, string language) =>
        counsellor.Languages.Contains(language, StringComparer.OrdinalIgnoreCase) ? LanguageTier
        : counsellor.InterpreterLanguages.Contains(language, StringComparer.OrdinalIgnoreCase) ? InterpreterServiceTier
        : counsellor.BringsInterpreter ? AnyWithInterpreterTier
        : SupervisorTier;

    private static bool CanTake(Counsellor c, RoutingPolicy policy, DateTimeOffset now) =>
        c.OnCall && c.Capacity > 0 && c.IsPresent(now, policy.PresenceWindow);
}

/// <summary>
/// How many open conversations each counsellor holds. A reservation names the conversation, so reserving or
/// releasing twice (a retried queue message) changes nothing; two routers reserving at once never exceed capacity.
/// </summary>
public enum Reservation
{
    Full,
    Reserved,
    AlreadyHeld,
}

public interface ICounsellorLoads
{
    Task<IReadOnlyDictionary<string, int>> OpenCountsAsync(CancellationToken cancellationToken = default);

    /// <summary>The conversations each counsellor holds a slot for.</summary>
    Task<IReadOnlyDictionary<string, IReadOnlySet<string>>> HeldAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Reserves a slot for <paramref name="conversationId"/> if the counsellor is below <paramref name="capacity"/>.
    /// <see cref="Reservation.AlreadyHeld"/> means another attempt reserved it: only the attempt that got
    /// <see cref="Reservation.Reserved"/> may give the slot back.
    /// </summary>
    Task<Reservation> TryReserveAsync(string counsellorId, string conversationId, int capacity, CancellationToken cancellationToken = default);

    Task ReleaseAsync(string counsellorId, string conversationId, CancellationToken cancellationToken = default);
}

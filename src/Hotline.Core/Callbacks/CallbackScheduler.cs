using Hotline.Roster;
using Hotline.Routing;

namespace Hotline.Callbacks;

/// <summary>How callbacks are retried, how long a request lives, and what they are made with.</summary>
public sealed record CallbackSettings(TimeSpan AttemptSpacing, int MaxAttempts, TimeSpan Expiry)
{
    // Declared before Default, which uses it.
    public static IReadOnlyList<string> DefaultCoverStories { get; } =
    [
        "A reminder from the clinic about an appointment",
        "A delivery company about a parcel",
        "A short survey about mobile phone service",
    ];

    public static CallbackSettings Default { get; } = new(TimeSpan.FromMinutes(30), 3, TimeSpan.FromDays(7));

    /// <summary>How long a caller may take to finish setting up a request (<see cref="CallbackStatus.Draft"/>).</summary>
    public TimeSpan SetupLifetime { get; init; } = TimeSpan.FromDays(1);

    /// <summary>The IANA time zone in which callers' safe times are understood and shown.</summary>
    public string TimeZone { get; init; } = "UTC";

    /// <summary>What a counsellor may say if someone else answers; the first is used unless another is chosen.</summary>
    public IReadOnlyList<string> CoverStories { get; init; } = DefaultCoverStories;

    /// <summary>How long a closed request's row (no secrets: its windows and outcomes) is kept for the board.</summary>
    public TimeSpan ClosedRetention { get; init; } = TimeSpan.FromDays(30);
}

/// <summary>What became of an outcome a counsellor reported.</summary>
public enum OutcomeRecording
{
    /// <summary>Recorded: the request is closed, or waits for its next attempt.</summary>
    Recorded,

    NotFound,

    /// <summary>The request is not (or no longer) released to this counsellor: nothing was recorded.</summary>
    NotReleasedToCounsellor,
}

/// <summary>
/// Releases callback requests to counsellors inside the caller's safe windows, never outside them, and records what
/// each attempt came to. A request is released when its current window contains now and its spacing since the last
/// attempt has passed, to a counsellor the conversation routing would pick (<see cref="ConversationRouter.Rank"/>:
/// on call, present, below capacity, the language first, then the fallback chain), urgent requests first. Every
/// change is saved only if the request is unchanged since it was read, so two schedulers at once release a request
/// once (the second does nothing). A window that has passed is dropped, never called late. A request that ends
/// (reached, wrong number, attempts exhausted, expired, cancelled) has its secrets destroyed.
/// </summary>
public sealed class CallbackScheduler(
    ICallbackStore store,
    ICallbackSecrets secrets,
    IRosterStore roster,
    ICounsellorLoads loads,
    RoutingPolicy policy,
    CallbackSettings settings,
    TimeProvider time)
{
    /// <summary>
    /// Stores a new request and its secrets (secrets first, so a stored request always has them). Its expiry is capped
    /// at <see cref="CallbackSettings.Expiry"/> after it was made (a draft's at <see cref="CallbackSettings.SetupLifetime"/>).
    /// False, with the secrets destroyed again, when a request with that id exists.
    /// </summary>
    public async Task<bool> CreateAsync(CallbackRequest request, CallbackSecrets requestSecrets, CancellationToken cancellationToken = default)
    {
        var draft = request.Status == CallbackStatus.Draft;
        var longest = request.RequestedAt + (draft ? settings.SetupLifetime : settings.Expiry);
        var stored = request with
        {
            ExpiresAt = request.ExpiresAt == default || request.ExpiresAt > longest ? longest : request.ExpiresAt,
            Status = draft ? CallbackStatus.Draft : CallbackStatus.Waiting,
        };
        await secrets.StoreAsync(request.Id, requestSecrets, cancellationToken);
        if (await store.CreateAsync(stored, cancellationToken))
        {
            return true;
        }

        await secrets.DestroyAsync(request.Id, cancellationToken);
        return false;
    }

    /// <summary>
    /// One run of the scheduler at <paramref name="now"/>: destroys the secrets of closed requests still holding them,
    /// closes expired requests, returns released requests whose window ended untouched to waiting, drops passed
    /// windows and releases what is due. Returns how many requests it released. Each request is handled on its own:
    /// one that fails does not stop the others (the failures are reported together at the end).
    /// </summary>
    public async Task<int> ReleaseDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var failures = new List<Exception>();
        foreach (var id in await store.ListSecretsToDestroyAsync(cancellationToken))
        {
            try
            {
                await DestroySecretsAsync(id, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Add(e);
            }
        }

        // Urgent first, then the window that closes soonest: when counsellors are few, those are served first.
        var due = (await store.ListDueAsync(now, cancellationToken))
            .OrderByDescending(r => r.Urgent)
            .ThenBy(r => CurrentWindow(r, now)?.End ?? DateTimeOffset.MaxValue)
            .ThenBy(r => r.RequestedAt)
            .ToList();

        Routing? routing = null;
        var released = 0;
        foreach (var request in due)
        {
            try
            {
                if (IsReleasable(request, now))
                {
                    routing ??= await RoutingAsync(cancellationToken);
                    if (await TryReleaseAsync(request, routing, now, cancellationToken))
                    {
                        released++;
                    }
                }
                else
                {
                    await MoveOnAsync(request, now, cancellationToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Add(e);
            }
        }

        return failures.Count == 0 ? released : throw new AggregateException("Some callback requests could not be handled yet.", failures);
    }

    /// <summary>
    /// Records what the counsellor's call came to. Reached and wrong number close the request. Anything else (no
    /// answer, a message left, or someone else answered and the cover story was used) was an attempt that did not
    /// reach the caller: the request waits for its next attempt, at least <see cref="CallbackSettings.AttemptSpacing"/>
    /// later and inside a window, until <see cref="CallbackSettings.MaxAttempts"/> attempts have been made.
    /// </summary>
    public async Task<OutcomeRecording> RecordOutcomeAsync(
        string requestId, string counsellorId, CallbackOutcome outcome, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var request = await store.FindAsync(requestId, cancellationToken);
            if (request is null)
            {
                return OutcomeRecording.NotFound;
            }

            if (request.Status != CallbackStatus.Released || request.ReleasedTo != counsellorId)
            {
                return OutcomeRecording.NotReleasedToCounsellor;
            }

            var attempts = request.Attempts.Append(new CallbackAttempt(now, counsellorId) { Outcome = outcome }).ToList();
            var next = outcome switch
            {
                CallbackOutcome.Reached => Closed(request, CallbackClosure.Reached, now),
                CallbackOutcome.WrongNumber => Closed(request, CallbackClosure.WrongNumber, now),
                _ when attempts.Count >= settings.MaxAttempts => Closed(request, CallbackClosure.AttemptsExhausted, now),
                _ => BackToWaiting(request, now) with { NextAttemptAfter = now + settings.AttemptSpacing },
            };
            next = next with { Attempts = attempts };
            if (next.Status == CallbackStatus.Waiting && CallbackTiming.NextReleaseAt(next) is null)
            {
                next = Closed(next, CallbackClosure.Expired, now); // no safe window left to try again in
            }

            if (await SaveAsync(next, cancellationToken))
            {
                return OutcomeRecording.Recorded;
            }

            // Changed meanwhile (the scheduler acted on it): read it again and judge afresh.
        }
    }

    /// <summary>
    /// Forgets requests closed longer than <see cref="CallbackSettings.ClosedRetention"/> ago (their rows hold no
    /// secrets, only windows and outcomes, kept that long for the board); returns how many.
    /// </summary>
    public Task<int> ForgetClosedAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        store.ForgetClosedBeforeAsync(now - settings.ClosedRetention, cancellationToken);

    /// <summary>Closes an open request as cancelled and destroys its secrets; false when it is missing or already closed.</summary>
    public async Task<bool> CancelAsync(string requestId, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var request = await store.FindAsync(requestId, cancellationToken);
            if (request is null || request.Status == CallbackStatus.Closed)
            {
                return false;
            }

            if (await SaveAsync(Closed(request, CallbackClosure.Cancelled, time.GetUtcNow()), cancellationToken))
            {
                return true;
            }
        }
    }

    private static bool IsReleasable(CallbackRequest request, DateTimeOffset now) =>
        request.Status == CallbackStatus.Waiting
        && now < request.ExpiresAt
        && CurrentWindow(request, now) is not null
        && (request.NextAttemptAfter is not { } after || after <= now);

    private static SafeWindow? CurrentWindow(CallbackRequest request, DateTimeOffset now) =>
        request.Windows.FirstOrDefault(w => w.Contains(now));

    private async Task<bool> TryReleaseAsync(CallbackRequest request, Routing routing, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var candidate = ConversationRouter.Rank(request.Language, routing.Counsellors, routing.Loads, policy, now).FirstOrDefault();
        if (candidate is null)
        {
            // Nobody can take it now: it stays due and is tried again at the next run, while its window lasts.
            await MoveOnAsync(request, now, cancellationToken);
            return false;
        }

        var released = request with
        {
            Status = CallbackStatus.Released,
            ReleasedTo = candidate.Counsellor.Id,
            ReleasedAt = now,
            Windows = Remaining(request, now),
        };
        if (!await store.TryUpdateAsync(released, cancellationToken))
        {
            return false; // another scheduler acted on it first
        }

        routing.Loads[candidate.Counsellor.Id] = routing.Loads.GetValueOrDefault(candidate.Counsellor.Id) + 1;
        return true;
    }

    /// <summary>
    /// A request that cannot be released now: closed when expired or out of windows, back to waiting when released
    /// and its window is over, its passed windows dropped (which moves its next check on); unchanged otherwise.
    /// </summary>
    private async Task MoveOnAsync(CallbackRequest request, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var next = request;
        if (now >= request.ExpiresAt)
        {
            next = Closed(request, CallbackClosure.Expired, now);
        }
        else if (request.Status == CallbackStatus.Released)
        {
            if (CallbackTiming.ReleaseWindow(request) is { } window && now < window.End)
            {
                return; // still inside the window it was released in
            }

            next = BackToWaiting(request, now);
        }
        else if (Remaining(request, now).Count != request.Windows.Count)
        {
            next = request with { Windows = Remaining(request, now) };
        }

        if (next.Status == CallbackStatus.Waiting && CallbackTiming.NextReleaseAt(next) is null)
        {
            next = Closed(next, CallbackClosure.Expired, now); // no safe window left
        }

        if (!ReferenceEquals(next, request))
        {
            await SaveAsync(next, cancellationToken);
        }
    }

    /// <summary>Saves; a request that closed has its secrets destroyed. False when it changed meanwhile.</summary>
    private async Task<bool> SaveAsync(CallbackRequest next, CancellationToken cancellationToken)
    {
        if (!await store.TryUpdateAsync(next, cancellationToken))
        {
            return false;
        }

        if (next.Status == CallbackStatus.Closed)
        {
            await DestroySecretsAsync(next.Id, cancellationToken);
        }

        return true;
    }

    private async Task DestroySecretsAsync(string requestId, CancellationToken cancellationToken)
    {
        await secrets.DestroyAsync(requestId, cancellationToken);
        await store.SecretsDestroyedAsync(requestId, cancellationToken);
    }

    private static CallbackRequest BackToWaiting(CallbackRequest request, DateTimeOffset now) => request with
    {
        Status = CallbackStatus.Waiting,
        ReleasedTo = null,
        ReleasedAt = null,
        Windows = Remaining(request, now),
    };

    private static CallbackRequest Closed(CallbackRequest request, CallbackClosure closure, DateTimeOffset now) => request with
    {
        Status = CallbackStatus.Closed,
        ClosedAs = closure,
        ClosedAt = now,
    };

    /// <summary>The windows not yet over at <paramref name="now"/>, earliest first: a passed window is never used.</summary>
    private static List<SafeWindow> Remaining(CallbackRequest request, DateTimeOffset now) =>
        [.. request.Windows.Where(w => w.End > now).OrderBy(w => w.Start)];

    private async Task<Routing> RoutingAsync(CancellationToken cancellationToken)
    {
        // A counsellor's load: their open conversations and the callbacks released to them and not yet done.
        var counts = new Dictionary<string, int>(await loads.OpenCountsAsync(cancellationToken), StringComparer.Ordinal);
        foreach (var open in await store.ListOpenAsync(cancellationToken: cancellationToken))
        {
            if (open is { Status: CallbackStatus.Released, ReleasedTo: { } to })
            {
                counts[to] = counts.GetValueOrDefault(to) + 1;
            }
        }

        return new Routing(await roster.ListAsync(cancellationToken), counts);
    }

    private sealed record Routing(IReadOnlyList<Counsellor> Counsellors, Dictionary<string, int> Loads);
}

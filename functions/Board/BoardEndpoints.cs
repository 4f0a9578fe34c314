using Hotline.Callbacks;
using Hotline.Conversations;
using Hotline.Functions.Auth;
using Hotline.Functions.Configuration;
using Hotline.Functions.Hosting;
using Hotline.Messaging;
using Hotline.Roster;
using Hotline.Routing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hotline.Functions.Board;

/// <summary>
/// The supervisor board's data: who is waiting, in which language, for how long; who is on call for each language
/// (and where nobody is); each counsellor's load against capacity; and the last days' contacts and waits.
/// </summary>
public static class BoardEndpoints
{
    /// <summary>A callback due this long and not yet called is overdue on the board.</summary>
    public static readonly TimeSpan CallbackOverdueAfter = TimeSpan.FromMinutes(15);

    /// <summary>How far back the board counts callbacks' outcomes.</summary>
    public static readonly TimeSpan CallbackOutcomesSince = TimeSpan.FromDays(7);

    internal static async Task<Ok<BoardNow>> NowAsync(
        IConversationStore store, IRosterStore roster, ICounsellorLoads loads, IContactStatistics statistics, ICallbackStore callbacks,
        LanguageSettings languages, CallerTexts texts, RoutingPolicy policy, TimeProvider time, CancellationToken ct)
    {
        // Six reads, whatever the number of conversations: the open list's summaries, the roster, the loads, the
        // last day's calls, and the open and lately closed callback requests.
        var now = time.GetUtcNow();
        var openRead = store.ListOpenSummariesAsync(ct);
        var rosterRead = roster.ListAsync(ct);
        var loadsRead = loads.OpenCountsAsync(ct);
        var callsRead = statistics.ListCallsAsync(now.AddHours(-24), now, ct);
        var callbacksOpenRead = callbacks.ListOpenAsync(cancellationToken: ct);
        var callbacksClosedRead = callbacks.ListClosedSinceAsync(now - CallbackOutcomesSince, ct);
        var open = await openRead;
        var counsellors = await rosterRead;
        var held = await loadsRead;
        var calls = await callsRead;

        var waiting = open
            .Where(c => c.Status is ConversationStatus.New or ConversationStatus.Waiting or ConversationStatus.Offered)
            .GroupBy(c => c.Language)
            .Select(g => new WaitingLanguage(g.Key, g.Count(), g.Min(c => c.CreatedAt)))
            .OrderBy(w => w.OldestSince)
            .ToList();
        var callsWaiting = open.Where(c => c.CallWaitingSince is not null).ToLookup(c => c.Language);
        var callsEnded = calls.ToLookup(c => c.Language);
        var callsByLanguage = callsWaiting.Select(g => g.Key).Union(callsEnded.Select(g => g.Key))
            .Order(StringComparer.Ordinal)
            .Select(language => new LanguageCalls(
                language,
                callsWaiting[language].Count(),
                callsWaiting[language].Select(c => c.CallWaitingSince).Min(),
                callsEnded[language].Count(c => c.Outcome == Hotline.Calls.CallOutcome.Answered),
                callsEnded[language].Count(c => c.Outcome is Hotline.Calls.CallOutcome.AbandonedWhileWaiting),
                callsEnded[language].Count(c => c.Outcome is Hotline.Calls.CallOutcome.AbandonedInMenu),
                callsEnded[language].Count(c => c.Outcome is Hotline.Calls.CallOutcome.Voicemail or Hotline.Calls.CallOutcome.CallbackRequested)))
            .ToList();
        var coverage = languages.Supported
            .Select(language =>
            {
                var onCall = counsellors.Where(c => c.OnCall && c.Languages.Contains(language, StringComparer.OrdinalIgnoreCase))
                    .OrderBy(c => c.Id, StringComparer.Ordinal).ToList();
                // Only those present (console open) are offered conversations.
                var present = onCall.Where(c => c.IsPresent(now, policy.PresenceWindow)).Select(c => c.Id).ToList();
                return new LanguageCoverage(language, [.. onCall.Select(c => c.Id)], onCall.Count == 0) { Present = present };
            })
            .ToList();
        var load = counsellors.OrderBy(c => c.Id, StringComparer.Ordinal)
            .Select(c => new CounsellorLoad(c.Id, c.DisplayName, c.OnCall, c.Languages, held.GetValueOrDefault(c.Id), c.Capacity)
            {
                Present = c.IsPresent(now, policy.PresenceWindow),
                LastSeenAt = c.LastSeen?.At,
            })
            .ToList();
        var names = languages.Supported.Select(code => new LanguageName(code, texts.LanguageName(code))).ToList();
        var emergencies = open.Where(c => c.EmergencyAt is not null).OrderBy(c => c.EmergencyAt)
            .Select(c => new OpenEmergency(c.Id, c.Language, c.Status.ToString().ToLowerInvariant(), c.AssignedTo, c.EmergencyAt!.Value))
            .ToList();
        return TypedResults.Ok(new BoardNow(now, names, waiting, coverage, load, emergencies)
        {
            Calls = callsByLanguage,
            Callbacks = CallbacksByLanguage(await callbacksOpenRead, await callbacksClosedRead, now),
        });
    }

    /// <summary>
    /// Per language: callbacks due now (inside a window: released to a counsellor, or waiting because nobody can take
    /// them), those due for longer than <see cref="CallbackOverdueAfter"/>, those waiting for a later window, and what
    /// the attempts of the last <see cref="CallbackOutcomesSince"/> came to. Requests still being set up are not counted.
    /// </summary>
    internal static List<LanguageCallbacks> CallbacksByLanguage(
        IReadOnlyList<CallbackRequest> open, IReadOnlyList<CallbackRequest> closed, DateTimeOffset now)
    {
        var since = now - CallbackOutcomesSince;
        var requests = open.Where(r => r.Status != CallbackStatus.Draft).Concat(closed).ToList();
        return requests.GroupBy(r => r.Language).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                // When each open request became due: its release, or the start of the window it waits in now.
                var dueSince = g.Select(r => r.Status switch
                {
                    CallbackStatus.Released => r.ReleasedAt,
                    CallbackStatus.Waiting when CallbackTiming.NextReleaseAt(r) is { } at && at <= now && r.Windows.Any(w => w.Contains(now)) => at,
                    _ => null,
                }).OfType<DateTimeOffset>().ToList();
                var attempts = g.SelectMany(r => r.Attempts).Where(a => a.At >= since && a.Outcome is not null).ToLookup(a => a.Outcome!.Value);
                return new LanguageCallbacks(
                    g.Key,
                    dueSince.Count,
                    dueSince.Count(at => now - at >= CallbackOverdueAfter),
                    g.Count(r => r.Status == CallbackStatus.Waiting && CallbackTiming.NextReleaseAt(r) is { } at && at > now),
                    attempts[CallbackOutcome.Reached].Count(),
                    attempts[CallbackOutcome.ReachedNotSafe].Count(),
                    attempts[CallbackOutcome.NoAnswer].Count() + attempts[CallbackOutcome.MessageLeft].Count(),
                    attempts[CallbackOutcome.WrongNumber].Count(),
                    g.Count(r => r.ClosedAs is CallbackClosure.Expired or CallbackClosure.AttemptsExhausted && r.ClosedAt >= since));
            })
            .ToList();
    }

    internal static async Task<Ok<BoardHistory>> HistoryAsync(IContactStatistics statistics, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var contacts = await statistics.ListAsync(now.AddDays(-14), now, ct);

        var dayStart = now.AddDays(-13).UtcDateTime.Date;
        var perDay = Enumerable.Range(0, 14)
            .Select(i => dayStart.AddDays(i))
            .Select(day =>
            {
                var ofDay = contacts.Where(c => c.CreatedAt.UtcDateTime.Date == day).ToList();
                return new ContactsOnDay(
                    DateOnly.FromDateTime(day),
                    ofDay.Count(c => c.Channel == Channels.Sms),
                    ofDay.Count(c => c.Channel == Channels.Chat),
                    ofDay.Count(c => c.Channel == Channels.Voice));
            })
            .ToList();

        var since = now.AddHours(-24);
        var waits = contacts
            .Where(c => c.CreatedAt >= since && c.AcceptedAt is not null)
            .GroupBy(c => c.Language)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new LanguageWaits(g.Key, g
                .GroupBy(c => new DateTimeOffset(c.CreatedAt.UtcDateTime.Date.AddHours(c.CreatedAt.UtcDateTime.Hour), TimeSpan.Zero))
                .OrderBy(h => h.Key)
                .Select(h => new HourlyWait(h.Key, h.Average(c => (c.AcceptedAt!.Value - c.CreatedAt).TotalSeconds), h.Count()))
                .ToList()))
            .ToList();
        return TypedResults.Ok(new BoardHistory(waits, perDay));
    }
}

public sealed record LanguageName(string Code, string Name);

public sealed record WaitingLanguage(string Language, int Count, DateTimeOffset OldestSince);

public sealed record LanguageCoverage(string Language, IReadOnlyList<string> OnCall, bool Gap)
{
    /// <summary>Those on call whose console is open: the ones conversations are offered to.</summary>
    public IReadOnlyList<string> Present { get; init; } = [];
}

public sealed record CounsellorLoad(string Id, string DisplayName, bool OnCall, IReadOnlyList<string> Languages, int Open, int Capacity)
{
    public bool Present { get; init; }

    public DateTimeOffset? LastSeenAt { get; init; }
}

public sealed record OpenEmergency(string ConversationId, string Language, string Status, string? AssignedTo, DateTimeOffset Since);

public sealed record BoardNow(
    DateTimeOffset At, IReadOnlyList<LanguageName> Languages, IReadOnlyList<WaitingLanguage> Waiting,
    IReadOnlyList<LanguageCoverage> Coverage, IReadOnlyList<CounsellorLoad> Counsellors, IReadOnlyList<OpenEmergency> Emergencies)
{
    /// <summary>Phone calls per language: waiting now, and how the last 24 hours' calls ended.</summary>
    public IReadOnlyList<LanguageCalls> Calls { get; init; } = [];

    /// <summary>Callbacks per language: due now, overdue, later, and the last 7 days' outcomes.</summary>
    public IReadOnlyList<LanguageCallbacks> Callbacks { get; init; } = [];
}

/// <summary>
/// A language's callbacks: due now, overdue (due for 15 minutes or more and not yet called), waiting for a later
/// window; and over the last 7 days the attempts that reached the caller, reached someone else (the cover story was
/// used), found no answer (a message may have been left) or a wrong number, and the requests that ended without
/// reaching her (expired, or attempts exhausted).
/// </summary>
public sealed record LanguageCallbacks(
    string Language, int Due, int Overdue, int Later, int Reached, int ReachedNotSafe, int NoAnswer, int WrongNumber, int EndedUnreached);

/// <summary>
/// A language's phone calls: callers waiting for a person now (and since when the longest has), and the last 24
/// hours' calls answered, abandoned while waiting, abandoned in the language menu, and ended with a voicemail or a
/// callback request.
/// </summary>
public sealed record LanguageCalls(
    string Language, int Waiting, DateTimeOffset? OldestWaitingSince, int Answered, int AbandonedWhileWaiting, int AbandonedInMenu, int FollowUps);

public sealed record HourlyWait(DateTimeOffset Hour, double AverageWaitSeconds, int Count);

public sealed record LanguageWaits(string Language, IReadOnlyList<HourlyWait> Points);

public sealed record ContactsOnDay(DateOnly Day, int Sms, int Chat, int Voice);

public sealed record BoardHistory(IReadOnlyList<LanguageWaits> WaitsByLanguage, IReadOnlyList<ContactsOnDay> ContactsByDay);

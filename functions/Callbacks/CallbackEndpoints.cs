using System.Security.Claims;
using System.Text.RegularExpressions;
using Hotline.Callbacks;
using Hotline.Conversations;
using Hotline.Functions.Auth;
using Hotline.Functions.Conversations;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Twilio;
using Microsoft.AspNetCore.Http.HttpResults;
using PhoneNumbers;

namespace Hotline.Functions.Callbacks;

/// <summary>
/// Callbacks as counsellors handle them: asked for during a conversation (by its counsellor, or a supervisor), the
/// ones released to me, the call itself through the hotline, its outcome, and cancelling. The caller's number is never
/// in an answer: the console does not see it at all. The code word and cover story are in one answer only, the one to
/// "call now", the moment they are needed.
/// </summary>
public static partial class CallbackEndpoints
{
    public const string Channel = "console";

    public const int MaxCodeWordCharacters = 40;

    public const int MaxWhenCharacters = 200;

    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    internal static Ok<CallbackOptions> Options(CallbackIntake intake) => TypedResults.Ok(new CallbackOptions(intake.CoverStories, intake.TimeZone.Id));

    /// <summary>A counsellor asks for a callback on the caller's behalf, during the conversation they hold.</summary>
    internal static async Task<Results<Ok<CallbackView>, ProblemHttpResult>> CreateAsync(
        string conversationId, NewCallback? body, ClaimsPrincipal user, IConversationStore conversations, CallbackIntake intake,
        ReplyAddressProtector replyAddresses, CancellationToken ct)
    {
        if (body is null || body.Source is not { } source || !SourcePattern().IsMatch(source))
        {
            return Problem(400, "'source' is required: a request id made by the page (1 to 64 letters, digits, '-' or '_'), the same when the form is sent again.");
        }

        var codeWord = string.IsNullOrWhiteSpace(body.CodeWord) ? null : body.CodeWord.Trim();
        if (codeWord is { Length: > MaxCodeWordCharacters })
        {
            return Problem(400, $"'codeWord' is at most {MaxCodeWordCharacters} characters.");
        }

        if (body.When is { Length: > MaxWhenCharacters })
        {
            return Problem(400, $"'when' is at most {MaxWhenCharacters} characters.");
        }

        if (body.CoverStory is { } story && !intake.CoverStories.Contains(story, StringComparer.Ordinal))
        {
            return Problem(400, "'coverStory' must be one of those listed at /api/callbacks/options.");
        }

        var supervisor = user.IsInRole(Roles.Supervisor);
        var (conversation, refused) = await ConversationEndpoints.AccessibleAsync(conversationId, user, conversations, ct, assignedOnly: !supervisor);
        if (refused is not null)
        {
            return refused;
        }

        if (!conversation!.IsOpen)
        {
            return Problem(409, "The conversation is closed: a callback is asked for while it is open.");
        }

        // The number: typed by the counsellor, or the one the caller texts from, opened here and never sent to the page.
        string? ownNumber = null;
        if (body.TheirNumber)
        {
            if (conversation.Channel != Channels.Sms || conversation.ProtectedReplyAddress is null)
            {
                return Problem(400, "There is no number the caller texts from in this conversation: type the number to call.");
            }

            ownNumber = await replyAddresses.UnprotectAsync(conversation.ProtectedReplyAddress, conversation.Id, ct);
        }
        else if (string.IsNullOrWhiteSpace(body.Number))
        {
            return Problem(400, "'number' is required (or 'theirNumber', in an SMS conversation).");
        }

        var number = CallbackNumber.Read(body.TheirNumber ? null : body.Number, RegionOf(conversation.HotlineNumber), ownNumber);
        if (!number.IsValid)
        {
            return Problem(400, "The number cannot be used: " + number.Problem); // the problem never repeats the number
        }

        // When: her words as the counsellor typed them, in her language or in English; nothing typed is waking hours.
        IReadOnlyList<SafeWindow> windows;
        if (string.IsNullOrWhiteSpace(body.When))
        {
            windows = intake.AnyTime();
        }
        else
        {
            var reading = intake.ReadWindows(body.When, conversation.Language);
            if (!reading.Understood && conversation.Language != SafeTimeWords.FallbackLanguage)
            {
                reading = intake.ReadWindows(body.When, SafeTimeWords.FallbackLanguage);
            }

            if (!reading.Understood)
            {
                return Problem(400, reading.Problem == SafeWindowProblem.NoTimeLeft
                    ? "Every time in 'when' is already past or too far ahead: give a time still to come."
                    : "'when' was not understood: for example \"after 8 pm\", \"20-22\", \"tomorrow morning\".");
            }

            windows = reading.Windows;
        }

        var result = await intake.RequestAsync(
            conversation.Id, Channel, "console-" + source, new CallbackAsk(number.E164!, windows, body.MayLeaveMessage, codeWord, body.CoverStory), ct);
        if (result.Problem is { } problem)
        {
            return problem switch
            {
                CallbackAskProblem.ConversationNotFound => Problem(404, "No such conversation among those you can see."),
                CallbackAskProblem.ConversationClosed => Problem(409, "The conversation is closed: a callback is asked for while it is open."),
                CallbackAskProblem.NoWindow => Problem(400, "No safe time is left before the request would expire: give a time still to come."),
                _ => Problem(400, "'coverStory' must be one of those listed at /api/callbacks/options."),
            };
        }

        // The same form sent again answers the request made then.
        return TypedResults.Ok(CallbackView.From(result.Request!, intake));
    }

    /// <summary>The conversation's current callback request, without its secrets; 204 when it has none.</summary>
    internal static async Task<Results<Ok<CallbackView>, NoContent, ProblemHttpResult>> OfConversationAsync(
        string conversationId, ClaimsPrincipal user, IConversationStore conversations, CallbackIntake intake, CancellationToken ct)
    {
        var (conversation, refused) = await ConversationEndpoints.AccessibleAsync(conversationId, user, conversations, ct);
        if (refused is not null)
        {
            return refused;
        }

        var current = await intake.CurrentAsync(conversation!, ct);
        return current is null ? TypedResults.NoContent() : TypedResults.Ok(CallbackView.From(current, intake));
    }

    /// <summary>The callbacks released to me: the calls I am to make now, most urgent and soonest over first.</summary>
    internal static async Task<Ok<IReadOnlyList<DueCallback>>> MineAsync(
        ClaimsPrincipal user, ICallbackStore store, CallbackIntake intake, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var mine = await store.ListReleasedToAsync(user.UserId() ?? string.Empty, ct);
        return TypedResults.Ok<IReadOnlyList<DueCallback>>(mine
            .Where(r => r.Status == CallbackStatus.Released)
            .Select(r => DueCallback.From(r, intake, now))
            .OrderByDescending(d => d.Urgent).ThenBy(d => d.Until ?? DateTimeOffset.MaxValue)
            .ToList());
    }

    /// <summary>
    /// Rings my phone through the hotline; when I answer, Twilio dials the caller (<see cref="CallbackCallFunctions"/>).
    /// This answer is the one place the code word and the cover story are shown.
    /// </summary>
    internal static async Task<Results<Ok<CallStarted>, ProblemHttpResult>> CallAsync(
        string id, ClaimsPrincipal user, ICallbackStore store, ICallbackSecrets secrets, IRosterStore roster, IConversationStore conversations,
        CallbackLines lines, TwilioPhoneCalls calls, Hotline.Functions.Voice.CallSettings callSettings, Uri publicBase,
        ILogger<CallStarted> log, CancellationToken ct)
    {
        var (request, refused) = await ReleasedToMeAsync(id, user, store, ct);
        if (refused is not null)
        {
            return refused;
        }

        if (await roster.FindAsync(user.UserId()!, ct) is not { Phone: { } phone })
        {
            return Problem(409, "You have no phone on the roster: set your phone (Your phone, at the top) to call through the hotline.");
        }

        var line = lines.LineFor(await conversations.FindAsync(request!.ConversationId, ct));
        if (line is null)
        {
            return Problem(409, $"There is no hotline number to call from: set '{CallbackLines.SettingName}'.");
        }

        var held = await secrets.ReadAsync(request.Id, ct);
        if (held is null)
        {
            return Problem(409, "This callback's number is no longer kept: it cannot be called.");
        }

        string sid;
        try
        {
            sid = await calls.CallAsync(phone.Reveal(), line, CallbackCallFunctions.AnsweredUrl(publicBase, request.Id, user.UserId()!), callSettings.RingTime, ct);
        }
        catch (Exception e) when (e is TwilioCallException or HttpRequestException or global::Twilio.Exceptions.ApiConnectionException)
        {
            // Only the code or the kind of failure: Twilio's own words may quote a number.
            var reason = e is TwilioCallException twilio ? twilio.Message : "no answer from Twilio";
            log.LogWarning("Could not ring counsellor {CounsellorId}'s phone for callback {CallbackId}: {Failure}", user.UserId(), request.Id, reason);
            return Problem(502, "Your phone could not be rung through the hotline (" + reason + "). Try again.");
        }

        return TypedResults.Ok(new CallStarted(
            request.Id, sid, phone.Masked, held.CodeWord, request.CoverStory, request.MayLeaveMessage, request.Language,
            CallbackTiming.ReleaseWindow(request)?.End));
    }

    /// <summary>What the call came to; only the counsellor it is released to records it.</summary>
    internal static async Task<Results<Ok<CallbackView>, ProblemHttpResult>> OutcomeAsync(
        string id, OutcomeRequest? body, ClaimsPrincipal user, ICallbackStore store, CallbackScheduler scheduler, CallbackIntake intake,
        TimeProvider time, CancellationToken ct)
    {
        if (body?.Outcome is not { } said || !Outcomes.TryGetValue(said, out var outcome))
        {
            return Problem(400, "'outcome' must be one of: " + string.Join(", ", Outcomes.Keys) + ".");
        }

        var (request, refused) = await ReleasedToMeAsync(id, user, store, ct);
        if (refused is not null)
        {
            return refused;
        }

        if (outcome == CallbackOutcome.MessageLeft && !request!.MayLeaveMessage)
        {
            return Problem(400, "The caller did not agree to a message being left: 'messageLeft' cannot be recorded.");
        }

        return await scheduler.RecordOutcomeAsync(id, user.UserId()!, outcome, time.GetUtcNow(), ct) switch
        {
            OutcomeRecording.Recorded => TypedResults.Ok(CallbackView.From((await store.FindAsync(id, ct))!, intake)),
            OutcomeRecording.NotFound => Problem(404, "No such callback."),
            _ => Problem(409, "This callback is no longer released to you (its window may have ended): nothing was recorded."),
        };
    }

    /// <summary>Cancels a callback and destroys its secrets: the conversation's counsellor, a supervisor, or the one it is released to.</summary>
    internal static async Task<Results<Ok<CallbackView>, ProblemHttpResult>> CancelAsync(
        string id, ClaimsPrincipal user, ICallbackStore store, IConversationStore conversations, CallbackIntake intake, CancellationToken ct)
    {
        var request = CallbackIds().IsMatch(id) ? await store.FindAsync(id, ct) : null;
        if (request is null)
        {
            return Problem(404, "No such callback.");
        }

        var releasedToMe = request.Status == CallbackStatus.Released && request.ReleasedTo == user.UserId();
        if (!releasedToMe && !user.IsInRole(Roles.Supervisor))
        {
            var conversation = await conversations.FindAsync(request.ConversationId, ct);
            if (conversation?.AssignedTo is null || conversation.AssignedTo != user.UserId())
            {
                return Problem(403, "Only the counsellor holding the conversation, the one the callback is released to, or a supervisor can cancel it.");
            }
        }

        if (request.Status == CallbackStatus.Closed)
        {
            return Problem(409, "The callback is already closed.");
        }

        await intake.CancelAsync(id, ct);
        return TypedResults.Ok(CallbackView.From((await store.FindAsync(id, ct))!, intake));
    }

    private static async Task<(CallbackRequest? Request, ProblemHttpResult? Problem)> ReleasedToMeAsync(
        string id, ClaimsPrincipal user, ICallbackStore store, CancellationToken ct)
    {
        var request = CallbackIds().IsMatch(id) ? await store.FindAsync(id, ct) : null;
        if (request is null)
        {
            return (null, Problem(404, "No such callback."));
        }

        return request.Status == CallbackStatus.Released && request.ReleasedTo is { } to && to == user.UserId()
            ? (request, null)
            : (null, Problem(403, "This callback is not released to you: only the counsellor it is released to calls and records the outcome."));
    }

    /// <summary>The country of the hotline line the caller used, for a number typed in national form; none for the web chat.</summary>
    private static string RegionOf(string? hotlineNumber)
    {
        if (hotlineNumber is { Length: > 1 } n && n[0] == '+')
        {
            try
            {
                return Phones.GetRegionCodeForNumber(Phones.Parse(n, "ZZ")) ?? "ZZ";
            }
            catch (NumberParseException)
            {
                return "ZZ";
            }
        }

        return "ZZ"; // international form required
    }

    private static readonly Dictionary<string, CallbackOutcome> Outcomes = new(StringComparer.Ordinal)
    {
        ["reached"] = CallbackOutcome.Reached,
        ["reachedNotSafe"] = CallbackOutcome.ReachedNotSafe,
        ["noAnswer"] = CallbackOutcome.NoAnswer,
        ["wrongNumber"] = CallbackOutcome.WrongNumber,
        ["messageLeft"] = CallbackOutcome.MessageLeft,
    };

    private static ProblemHttpResult Problem(int status, string reason) => TypedResults.Problem(reason, statusCode: status);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex SourcePattern();

    [GeneratedRegex("^cb-[0-9a-f]{24}$")]
    internal static partial Regex CallbackIds();
}

/// <param name="Number">The number to call, as the caller gave it (national form for the line's country, or international).</param>
/// <param name="TheirNumber">Call the number the caller texts from (an SMS conversation): read by the app, never shown.</param>
/// <param name="When">When it is safe, in her words or English ("after 8 pm", "20-22"); empty: waking hours, every day.</param>
/// <param name="Source">The page's id for this request: sent again, the same request is answered.</param>
public sealed record NewCallback(
    string? Number, bool TheirNumber, string? When, bool MayLeaveMessage, string? CodeWord, string? CoverStory, string? Source);

public sealed record OutcomeRequest(string? Outcome);

public sealed record CallbackOptions(IReadOnlyList<string> CoverStories, string TimeZone);

public sealed record WindowView(DateTimeOffset Start, DateTimeOffset End);

public sealed record AttemptView(DateTimeOffset At, string CounsellorId, string? Outcome);

/// <summary>A callback request as staff see it: never its number or code word, nor its cover story.</summary>
public sealed record CallbackView(
    string Id, string ConversationId, string Language, string Channel, string Status, string When, IReadOnlyList<WindowView> Windows,
    bool MayLeaveMessage, bool Urgent, string? ReleasedTo, IReadOnlyList<AttemptView> Attempts, DateTimeOffset RequestedAt,
    DateTimeOffset ExpiresAt, string? ClosedAs, DateTimeOffset? ClosedAt)
{
    public static CallbackView From(CallbackRequest r, CallbackIntake intake) => new(
        r.Id, r.ConversationId, r.Language, r.Channel, Lower(r.Status), intake.Describe(r.Windows, SafeTimeWords.FallbackLanguage),
        r.Windows.Select(w => new WindowView(w.Start, w.End)).ToList(), r.MayLeaveMessage, r.Urgent, r.ReleasedTo,
        r.Attempts.Select(a => new AttemptView(a.At, a.CounsellorId, a.Outcome is { } o ? Camel(o) : null)).ToList(),
        r.RequestedAt, r.ExpiresAt, r.ClosedAs is { } c ? Camel(c) : null, r.ClosedAt);

    internal static string Lower<T>(T value) where T : Enum => value.ToString().ToLowerInvariant();

    internal static string Camel<T>(T value) where T : Enum => value.ToString() is var s ? char.ToLowerInvariant(s[0]) + s[1..] : "";
}

/// <summary>A callback released to me, to call now: until when its window lasts, without the code word or cover story.</summary>
public sealed record DueCallback(
    string Id, string ConversationId, string Language, string When, DateTimeOffset? Until, DateTimeOffset? ReleasedAt, int Attempts,
    bool Urgent, bool MayLeaveMessage)
{
    public static DueCallback From(CallbackRequest r, CallbackIntake intake, DateTimeOffset now) => new(
        r.Id, r.ConversationId, r.Language, intake.Describe(r.Windows, SafeTimeWords.FallbackLanguage),
        CallbackTiming.ReleaseWindow(r)?.End ?? r.Windows.FirstOrDefault(w => w.Contains(now))?.End, r.ReleasedAt, r.Attempts.Count,
        r.Urgent, r.MayLeaveMessage);
}

/// <summary>The answer to "call now": the one place the code word and cover story are shown.</summary>
/// <param name="Phone">My phone, masked, that is being rung.</param>
public sealed record CallStarted(
    string Id, string CallSid, string Phone, string? CodeWord, string CoverStory, bool MayLeaveMessage, string Language, DateTimeOffset? Until);

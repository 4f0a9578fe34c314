using System.Security.Claims;
using Hotline.Conversations;
using Hotline.Functions.Auth;
using Hotline.Functions.Configuration;
using Hotline.Functions.Hosting;
using Hotline.Functions.Roster;
using Hotline.Messaging;
using Hotline.Privacy;
using Hotline.Routing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hotline.Functions.Conversations;

/// <summary>
/// The counsellor's conversations: a counsellor sees and answers only conversations assigned to them (another's is
/// 404, exactly like one that does not exist); a supervisor sees all. The caller appears only as a pseudonym.
/// </summary>
public static class ConversationEndpoints
{
    public const int MaxReplyCharacters = 1600;

    internal static async Task<Ok<IReadOnlyList<ConversationSummary>>> ListAsync(
        ClaimsPrincipal user, IConversationStore store, CancellationToken ct)
    {
        var mine = user.IsInRole(Roles.Supervisor) ? null : user.UserId();
        var conversations = await store.ListOpenAsync(mine, ct);
        return TypedResults.Ok<IReadOnlyList<ConversationSummary>>(
            conversations.OrderBy(c => c.EmergencyAt is null).ThenByDescending(c => c.LastMessageAt) // emergencies first
                .Select(ConversationSummary.From).ToList());
    }

    internal static async Task<Results<Ok<ConversationDetail>, ProblemHttpResult>> GetAsync(
        string id, ClaimsPrincipal user, IConversationStore store, CancellationToken ct)
    {
        var (conversation, problem) = await AccessibleAsync(id, user, store, ct);
        if (problem is not null)
        {
            return problem;
        }

        var messages = store.MessagesAsync(id, ct);
        var intake = store.FindIntakeAsync(id, ct);
        return TypedResults.Ok(ConversationDetail.From(conversation!, await messages, await intake));
    }

    internal static async Task<Results<Ok<ConversationSummary>, ProblemHttpResult>> AcceptAsync(
        string id, ClaimsPrincipal user, IConversationStore store, IContactStatistics statistics, TimeProvider time, CancellationToken ct)
    {
        var (conversation, problem) = await AccessibleAsync(id, user, store, ct, assignedOnly: true);
        if (problem is not null)
        {
            return problem;
        }

        if (conversation!.Status == ConversationStatus.Active)
        {
            return TypedResults.Ok(ConversationSummary.From(conversation)); // accepting twice is harmless
        }

        if (conversation.Status != ConversationStatus.Offered)
        {
            return TypedResults.Problem($"The conversation is {conversation.Status.ToString().ToLowerInvariant()}, not offered to you.", statusCode: 409);
        }

        var accepted = conversation with
        {
            Status = ConversationStatus.Active,
            Hops = [.. conversation.Hops, new RoutingHop(time.GetUtcNow(), user.UserId(), "accepted")],
        };
        if (!await store.TryUpdateAsync(accepted, ct))
        {
            return TypedResults.Problem("The conversation changed meanwhile (it may have moved on after the offer timed out); reload it.", statusCode: 409);
        }

        if (!conversation.Hops.Any(h => h.Reason == "accepted"))
        {
            await statistics.RecordAcceptedAsync(accepted, accepted.Hops[^1].At, ct); // the wait to the first acceptance
        }

        return TypedResults.Ok(ConversationSummary.From(accepted));
    }

    internal static async Task<Results<Accepted<MessageView>, ProblemHttpResult>> ReplyAsync(
        string id, ReplyRequest? request, ClaimsPrincipal user, IConversationStore store, IWorkQueue queue, TimeProvider time,
        ILogger<ReplyRequest> logger, CancellationToken ct)
    {
        var text = request?.Text?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > MaxReplyCharacters)
        {
            return TypedResults.Problem($"'text' is required (1 to {MaxReplyCharacters} characters).", statusCode: 400);
        }

        // Stored only if the conversation is still this counsellor's, active and reachable when the reply is written:
        // a close or a transfer a moment earlier wins, and the reply is refused rather than lost in a closed one.
        ConversationMessage? message = null;
        var isChat = false;
        for (var attempt = 0; attempt < 5 && message is null; attempt++)
        {
            var (conversation, problem) = await AccessibleAsync(id, user, store, ct, assignedOnly: true);
            if (problem is not null)
            {
                return problem;
            }

            if (conversation!.Status != ConversationStatus.Active)
            {
                return TypedResults.Problem(
                    conversation.IsOpen ? "Accept the conversation before answering." : "The conversation is closed; the reply was not sent.",
                    statusCode: 409);
            }

            isChat = conversation.Channel == Channels.Chat;
            if (!conversation.Reachable)
            {
                return TypedResults.Problem(
                    isChat ? "The caller has left the chat." : "The caller cannot be reached by SMS (they sent STOP).", statusCode: 409);
            }

            // A chat page fetches its replies itself: stored is sent. An SMS reply still has to be delivered.
            var reply = new ConversationMessage(
                Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)),
                MessageDirection.Outbound, new SensitiveText(text), time.GetUtcNow(), user.UserId(),
                DeliveryStatus: isChat ? DeliveryStatuses.Sent : DeliveryStatuses.Queued);
            if (await store.AppendIfUnchangedAsync(id, reply, conversation.Version!, ct))
            {
                message = reply;
            }
        }

        if (message is null)
        {
            return TypedResults.Problem("The conversation keeps changing; send the reply again.", statusCode: 409);
        }

        if (isChat)
        {
            return TypedResults.Accepted($"/api/conversations/{id}", MessageView.From(message));
        }

        try
        {
            await queue.EnqueueAsync(QueueNames.SmsOutbound, new OutboundRequest(id, message.Id, message.At.UtcTicks), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Never leave a reply looking "queued" when nothing will send it: show it failed, and say so.
            await store.UpdateDeliveryAsync(id, message, DeliveryStatuses.Failed + ": not queued, send again", null, CancellationToken.None);
            logger.LogError(e, "A reply in conversation {ConversationId} could not be queued for sending.", id);
            return TypedResults.Problem("The reply could not be queued for sending; it is marked failed. Send it again.", statusCode: 503);
        }
        return TypedResults.Accepted($"/api/conversations/{id}", MessageView.From(message));
    }

    internal static async Task<Results<Ok<ConversationSummary>, ProblemHttpResult>> CloseAsync(
        string id, ClaimsPrincipal user, IConversationStore store, ConversationCloser closer, Hotline.Calls.CallDesk desk, CancellationToken ct)
    {
        var (conversation, problem) = await AccessibleAsync(id, user, store, ct, assignedOnly: !user.IsInRole(Roles.Supervisor));
        if (problem is not null)
        {
            return problem;
        }

        // Closing means it was handled: voicemails are not kept beyond that, at Twilio either.
        await desk.VoicemailsHandledAsync(id, ct);
        return await closer.CloseAsync(conversation!, user.UserId(), "closed", ct) is { } closed
            ? TypedResults.Ok(ConversationSummary.From(closed))
            : TypedResults.Problem("The conversation keeps changing; try again.", statusCode: 409);
    }

    internal static async Task<Results<Ok<ConversationSummary>, ProblemHttpResult>> TransferAsync(
        string id, TransferRequest? request, ClaimsPrincipal user, IConversationStore store, ConversationAssigner assigner,
        LanguageSettings languages, CancellationToken ct)
    {
        var language = request?.Language?.Trim().ToLowerInvariant();
        if (language is null || !languages.Supported.Contains(language))
        {
            return TypedResults.Problem($"'language' must be one of: {string.Join(", ", languages.Supported)}.", statusCode: 400);
        }

        var (_, problem) = await AccessibleAsync(id, user, store, ct, assignedOnly: !user.IsInRole(Roles.Supervisor));
        if (problem is not null)
        {
            return problem;
        }

        var expected = user.IsInRole(Roles.Supervisor) ? null : user.UserId();
        return await assigner.TransferAsync(id, language, user.UserId(), expected, ct) switch
        {
            (TransferOutcome.Transferred, { } routed) => TypedResults.Ok(ConversationSummary.From(routed)),
            (TransferOutcome.NotAssignee, _) => TypedResults.Problem("The conversation is no longer assigned to you.", statusCode: 409),
            _ => TypedResults.Problem("The conversation is closed.", statusCode: 409),
        };
    }

    /// <summary>Records the intake form. Only with the caller's approval: without <c>callerApproved</c> nothing is stored.</summary>
    internal static async Task<Results<Ok<Intake>, ProblemHttpResult>> SaveIntakeAsync(
        string id, IntakeRequest? request, ClaimsPrincipal user, IConversationStore store, TimeProvider time, CancellationToken ct)
    {
        if (request is not { CallerApproved: true })
        {
            return TypedResults.Problem("Intake is recorded only with the caller's approval: set 'callerApproved' to true once they agreed.", statusCode: 400);
        }

        var intake = request.ToIntake(user.UserId(), time.GetUtcNow());
        if (intake.Problem() is { } invalid)
        {
            return TypedResults.Problem(invalid, statusCode: 400);
        }

        var (_, problem) = await AccessibleAsync(id, user, store, ct, assignedOnly: !user.IsInRole(Roles.Supervisor));
        if (problem is not null)
        {
            return problem;
        }

        await store.SaveIntakeAsync(id, intake, ct);
        return TypedResults.Ok(intake);
    }

    internal static async Task<(Conversation? Conversation, ProblemHttpResult? Problem)> AccessibleAsync(
        string id, ClaimsPrincipal user, IConversationStore store, CancellationToken ct, bool assignedOnly = false)
    {
        if (!ConversationIds.IsValid(id))
        {
            return (null, TypedResults.Problem("Not a conversation id.", statusCode: 404));
        }

        // A counsellor cannot tell someone else's conversation from one that does not exist: both are 404, alike.
        var conversation = await store.FindAsync(id, ct);
        var supervisor = user.IsInRole(Roles.Supervisor);
        var isAssignee = conversation?.AssignedTo is not null && conversation.AssignedTo == user.UserId();
        if (conversation is null || (!isAssignee && !supervisor))
        {
            return (null, TypedResults.Problem(NoSuchConversation, statusCode: 404));
        }

        // A supervisor sees every conversation, so for them "not yours" hides nothing.
        return isAssignee || !assignedOnly
            ? (conversation, null)
            : (null, TypedResults.Problem("This conversation is not assigned to you.", statusCode: 403));
    }

    private const string NoSuchConversation = "No such conversation among those you can see.";
}

public sealed record ReplyRequest(string? Text);

public sealed record TransferRequest(string? Language);

/// <param name="CallerApproved">The caller agreed to these details being recorded; required.</param>
public sealed record IntakeRequest(
    bool CallerApproved, string? CallType, string? CallerRole, string? Gender, string? AgeGroup, string? Nationality,
    string? ExploitationForm, string? Sector, IReadOnlyList<string>? Indicators, string? Source, string? Note,
    bool RepeatContact, bool ComplicatedCase)
{
    public Intake ToIntake(string? recordedBy, DateTimeOffset at) => new()
    {
        CallType = Blank(CallType), CallerRole = Blank(CallerRole), Gender = Blank(Gender), AgeGroup = Blank(AgeGroup),
        Nationality = Blank(Nationality), ExploitationForm = Blank(ExploitationForm), Sector = Blank(Sector),
        Indicators = Indicators?.Distinct().ToList() ?? [], Source = Blank(Source), Note = Blank(Note),
        RepeatContact = RepeatContact, ComplicatedCase = ComplicatedCase, RecordedBy = recordedBy, RecordedAt = at,
    };

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

public sealed record ConversationSummary(
    string Id, string Channel, string Language, string Status, string? AssignedTo, DateTimeOffset LastMessageAt,
    DateTimeOffset CreatedAt, string Caller, int CallerContacts, bool Reachable, DateTimeOffset? WaitingSince,
    DateTimeOffset? EmergencyAt, string? EscalationId, DateTimeOffset? CallbackRequestedAt)
{
    public static ConversationSummary From(Conversation c) => new(
        c.Id, c.Channel, c.Language, c.Status.ToString().ToLowerInvariant(), c.AssignedTo, c.LastMessageAt, c.CreatedAt,
        c.CallerPseudonym, c.CallerContacts, c.Reachable, c.WaitingSince, c.EmergencyAt, c.EscalationId, c.CallbackRequestedAt);
}

public sealed record MessageView(string Id, string Direction, string Text, DateTimeOffset At, string? Author, string? DeliveryStatus)
{
    public static MessageView From(ConversationMessage m) => new(
        m.Id, m.Direction == MessageDirection.Inbound ? "in" : "out", m.Text.Reveal(), m.At, m.Author, m.DeliveryStatus);
}

public sealed record ConversationDetail(
    string Id, string Channel, string Language, string Status, string? AssignedTo, DateTimeOffset LastMessageAt,
    DateTimeOffset CreatedAt, string Caller, int CallerContacts, bool Reachable, DateTimeOffset? WaitingSince,
    IReadOnlyList<RoutingHop> Hops, IReadOnlyList<MessageView> Messages, Intake? Intake, DateTimeOffset? EmergencyAt = null,
    string? EscalationId = null, DateTimeOffset? CallbackRequestedAt = null)
{
    /// <summary>The conversation's phone calls, oldest first.</summary>
    public IReadOnlyList<CallView> Calls { get; init; } = [];

    public static ConversationDetail From(Conversation c, IReadOnlyList<ConversationMessage> messages, Intake? intake = null) => new(
        c.Id, c.Channel, c.Language, c.Status.ToString().ToLowerInvariant(), c.AssignedTo, c.LastMessageAt, c.CreatedAt,
        c.CallerPseudonym, c.CallerContacts, c.Reachable, c.WaitingSince, c.Hops, messages.Select(MessageView.From).ToList(), intake,
        c.EmergencyAt, c.EscalationId, c.CallbackRequestedAt)
    {
        Calls = c.Calls.Select(call => CallView.From(c.Id, call)).ToList(),
    };
}

/// <summary>
/// A phone call as the console shows it: when, how it ended, who answered, how long the caller waited and talked,
/// and the voicemail's address in the app (never at Twilio) while it is kept.
/// </summary>
public sealed record CallView(
    string CallSid, DateTimeOffset StartedAt, string Phase, string? Outcome, string? AnsweredBy, double? WaitedSeconds, double? TalkedSeconds,
    int? VoicemailSeconds, string? VoicemailUrl, DateTimeOffset? VoicemailHandledAt)
{
    public static CallView From(string conversationId, Hotline.Calls.PhoneCall call) => new(
        call.CallSid, call.StartedAt, call.Phase.ToString().ToLowerInvariant(), call.Outcome?.ToString(), call.AnsweredBy,
        call.WaitingTime?.TotalSeconds, call.TalkTime?.TotalSeconds,
        call.RecordingSid is null ? null : call.RecordingSeconds,
        call.RecordingSid is null ? null : $"/api/conversations/{conversationId}/calls/{call.CallSid}/voicemail",
        call.RecordingHandledAt);
}

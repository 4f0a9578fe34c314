using System.Security.Claims;
using Hotline.Conversations;
using Hotline.Functions.Auth;
using Hotline.Functions.Hosting;
using Hotline.Messaging;
using Hotline.Privacy;
using Hotline.Routing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hotline.Functions.Conversations;

/// <summary>
/// The counsellor's conversations: a counsellor sees and answers only conversations assigned to them (403 otherwise);
/// a supervisor sees all. The caller appears only as a pseudonym.
/// </summary>
public static class ConversationEndpoints
{
    public const int MaxReplyCharacters = 1600;

    public static IEndpointRouteBuilder MapConversations(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/conversations").RequireAuthorization(Policies.Counsellor);
        group.MapGet("", ListAsync).AsFunction("ConversationsList");
        group.MapGet("/{id}", GetAsync).AsFunction("ConversationGet");
        group.MapPost("/{id}/accept", AcceptAsync).AsFunction("ConversationAccept");
        group.MapPost("/{id}/messages", ReplyAsync).AsFunction("ConversationReply");
        group.MapPost("/{id}/close", CloseAsync).AsFunction("ConversationClose");
        return app;
    }

    internal static async Task<Ok<IReadOnlyList<ConversationSummary>>> ListAsync(
        ClaimsPrincipal user, IConversationStore store, CancellationToken ct)
    {
        var mine = user.IsInRole(Roles.Supervisor) ? null : user.UserId();
        var conversations = await store.ListOpenAsync(mine, ct);
        return TypedResults.Ok<IReadOnlyList<ConversationSummary>>(
            conversations.OrderByDescending(c => c.LastMessageAt).Select(ConversationSummary.From).ToList());
    }

    internal static async Task<Results<Ok<ConversationDetail>, ProblemHttpResult>> GetAsync(
        string id, ClaimsPrincipal user, IConversationStore store, CancellationToken ct)
    {
        var (conversation, problem) = await AccessibleAsync(id, user, store, ct);
        if (problem is not null)
        {
            return problem;
        }

        var messages = await store.MessagesAsync(id, ct);
        return TypedResults.Ok(ConversationDetail.From(conversation!, messages));
    }

    internal static async Task<Results<Ok<ConversationSummary>, ProblemHttpResult>> AcceptAsync(
        string id, ClaimsPrincipal user, IConversationStore store, TimeProvider time, CancellationToken ct)
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
        return await store.TryUpdateAsync(accepted, ct)
            ? TypedResults.Ok(ConversationSummary.From(accepted))
            : TypedResults.Problem("The conversation changed meanwhile (it may have moved on after the offer timed out); reload it.", statusCode: 409);
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

        var (conversation, problem) = await AccessibleAsync(id, user, store, ct, assignedOnly: true);
        if (problem is not null)
        {
            return problem;
        }

        if (conversation!.Status != ConversationStatus.Active)
        {
            return TypedResults.Problem("Accept the conversation before answering.", statusCode: 409);
        }

        var isChat = conversation.Channel == Channels.Chat;
        if (!conversation.Reachable)
        {
            return TypedResults.Problem(
                isChat ? "The caller has left the chat." : "The caller cannot be reached by SMS (they sent STOP).", statusCode: 409);
        }

        // A chat page fetches its replies itself: stored is sent. An SMS reply still has to be delivered.
        var message = new ConversationMessage(
            Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)),
            MessageDirection.Outbound, new SensitiveText(text), time.GetUtcNow(), user.UserId(),
            DeliveryStatus: isChat ? DeliveryStatuses.Sent : DeliveryStatuses.Queued);
        await store.AppendAsync(id, message, providerMessageId: null, ct);
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
        string id, ClaimsPrincipal user, IConversationStore store, ConversationCloser closer, CancellationToken ct)
    {
        var (conversation, problem) = await AccessibleAsync(id, user, store, ct, assignedOnly: !user.IsInRole(Roles.Supervisor));
        if (problem is not null)
        {
            return problem;
        }

        return await closer.CloseAsync(conversation!, user.UserId(), "closed", ct) is { } closed
            ? TypedResults.Ok(ConversationSummary.From(closed))
            : TypedResults.Problem("The conversation keeps changing; try again.", statusCode: 409);
    }

    private static async Task<(Conversation? Conversation, ProblemHttpResult? Problem)> AccessibleAsync(
        string id, ClaimsPrincipal user, IConversationStore store, CancellationToken ct, bool assignedOnly = false)
    {
        if (!ConversationIds.IsValid(id))
        {
            return (null, TypedResults.Problem("Not a conversation id.", statusCode: 404));
        }

        var conversation = await store.FindAsync(id, ct);
        if (conversation is null)
        {
            return (null, TypedResults.Problem("No such conversation.", statusCode: 404));
        }

        var isAssignee = conversation.AssignedTo is not null && conversation.AssignedTo == user.UserId();
        var allowed = isAssignee || (!assignedOnly && user.IsInRole(Roles.Supervisor));
        return allowed
            ? (conversation, null)
            : (null, TypedResults.Problem("This conversation is not assigned to you.", statusCode: 403));
    }
}

public sealed record ReplyRequest(string? Text);

public sealed record ConversationSummary(
    string Id, string Channel, string Language, string Status, string? AssignedTo, DateTimeOffset LastMessageAt,
    DateTimeOffset CreatedAt, string Caller, int CallerContacts, bool Reachable)
{
    public static ConversationSummary From(Conversation c) => new(
        c.Id, c.Channel, c.Language, c.Status.ToString().ToLowerInvariant(), c.AssignedTo, c.LastMessageAt, c.CreatedAt,
        c.CallerPseudonym, c.CallerContacts, c.Reachable);
}

public sealed record MessageView(string Id, string Direction, string Text, DateTimeOffset At, string? Author, string? DeliveryStatus)
{
    public static MessageView From(ConversationMessage m) => new(
        m.Id, m.Direction == MessageDirection.Inbound ? "in" : "out", m.Text.Reveal(), m.At, m.Author, m.DeliveryStatus);
}

public sealed record ConversationDetail(
    string Id, string Channel, string Language, string Status, string? AssignedTo, DateTimeOffset LastMessageAt,
    DateTimeOffset CreatedAt, string Caller, int CallerContacts, bool Reachable, IReadOnlyList<RoutingHop> Hops,
    IReadOnlyList<MessageView> Messages)
{
    public static ConversationDetail From(Conversation c, IReadOnlyList<ConversationMessage> messages) => new(
        c.Id, c.Channel, c.Language, c.Status.ToString().ToLowerInvariant(), c.AssignedTo, c.LastMessageAt, c.CreatedAt,
        c.CallerPseudonym, c.CallerContacts, c.Reachable, c.Hops, messages.Select(MessageView.From).ToList());
}

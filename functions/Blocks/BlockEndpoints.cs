using System.Security.Claims;
using Hotline.Conversations;
using Hotline.Functions.Auth;
using Hotline.Functions.Chat;
using Hotline.Functions.Hosting;
using Hotline.Privacy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hotline.Functions.Blocks;

/// <summary>
/// Supervisors block a caller who abuses the line, from one of their conversations: the conversation is closed and
/// the caller's messages are dropped, unanswered, until the block lapses or is lifted. Blocks are by pseudonym, always
/// time-limited, and record who decided and why. A chat caller's pseudonym is their session's, which a new session
/// would escape, so the block also holds against new chat conversations from the (pseudonymized) network address the
/// blocked conversation came from.
/// </summary>
public static class BlockEndpoints
{
    private const int MaxReasonLength = 500;

    internal static async Task<Results<Ok<BlockView>, ProblemHttpResult>> BlockAsync(
        string id, BlockRequest? request, ClaimsPrincipal user, IConversationStore store, ConversationCloser closer,
        ChatSessionRecords chatSessions, TimeProvider time, CancellationToken ct)
    {
        var reason = request?.Reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > MaxReasonLength)
        {
            return Problem(400, $"'reason' is required (1 to {MaxReasonLength} characters): it is the record of the decision.");
        }

        var days = request!.Days ?? (int)CallerBlock.DefaultDuration.TotalDays;
        if (days < 1 || days > CallerBlock.MaxDuration.TotalDays)
        {
            return Problem(400, $"'days' must be 1 to {CallerBlock.MaxDuration.TotalDays}.");
        }

        if (!ConversationIds.IsValid(id) || await store.FindAsync(id, ct) is not { } conversation)
        {
            return Problem(404, "No such conversation.");
        }

        var now = time.GetUtcNow();
        var block = new CallerBlock(conversation.CallerPseudonym, reason, user.UserId() ?? string.Empty, now, now.AddDays(days));
        await store.BlockCallerAsync(block, ct);
        if (conversation.Channel == Channels.Chat)
        {
            await chatSessions.BlockAddressOfAsync(conversation.CallerPseudonym, block.Until, ct);
        }

        if (await closer.CloseAsync(conversation, user.UserId(), "closed: caller blocked", ct) is null)
        {
            return Problem(409, "The caller is blocked, but the conversation kept changing and is still open; close it again.");
        }

        return TypedResults.Ok(BlockView.From(block, now));
    }

    internal static async Task<Ok<IReadOnlyList<BlockView>>> ListAsync(IConversationStore store, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return TypedResults.Ok<IReadOnlyList<BlockView>>(
            (await store.ListBlocksAsync(ct)).OrderByDescending(b => b.BlockedAt).Select(b => BlockView.From(b, now)).ToList());
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> UnblockAsync(
        string caller, IConversationStore store, ChatSessionRecords chatSessions, CancellationToken ct)
    {
        if (!CallerPseudonymizer.IsPseudonym(caller))
        {
            return Problem(404, "Not a caller pseudonym.");
        }

        await chatSessions.UnblockAddressOfAsync(caller, ct);
        return await store.UnblockCallerAsync(caller, ct) ? TypedResults.NoContent() : Problem(404, "This caller is not blocked.");
    }

    private static ProblemHttpResult Problem(int status, string reason) => TypedResults.Problem(reason, statusCode: status);
}

/// <param name="Days">How long the block lasts (1 to 365; default 30).</param>
public sealed record BlockRequest(string? Reason, int? Days);

public sealed record BlockView(string Caller, string Reason, string BlockedBy, DateTimeOffset BlockedAt, DateTimeOffset Until, bool Active)
{
    public static BlockView From(CallerBlock b, DateTimeOffset now) => new(b.Pseudonym, b.Reason, b.BlockedBy, b.BlockedAt, b.Until, b.Until > now);
}

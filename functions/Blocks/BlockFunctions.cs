using Hotline.Conversations;
using Hotline.Functions.Auth;
using Hotline.Functions.Chat;
using Hotline.Functions.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Blocks;

/// <summary>Supervisors block an abusive caller from one of their conversations, list blocks and lift them.</summary>
[Authorize(Policy = Policies.Supervisor)]
public sealed class BlockFunctions(IConversationStore store, ConversationCloser closer, ChatSessionRecords chatSessions, TimeProvider time)
{
    [Function("ConversationBlock")]
    public async Task<IResult> Block(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/conversations/{id}/block")] HttpRequest request, string id, CancellationToken ct) =>
        await BlockEndpoints.BlockAsync(id, await request.ReadJsonAsync<BlockRequest>(ct), request.HttpContext.User, store, closer, chatSessions, time, ct);

    [Function("BlocksList")]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/blocks")] HttpRequest request, CancellationToken ct) =>
        await BlockEndpoints.ListAsync(store, time, ct);

    [Function("BlockLift")]
    public async Task<IResult> Lift(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/blocks/{caller}")] HttpRequest request, string caller, CancellationToken ct) =>
        await BlockEndpoints.UnblockAsync(caller, store, chatSessions, ct);
}

using Hotline.Conversations;
using Hotline.Functions.Auth;
using Hotline.Functions.Configuration;
using Hotline.Functions.Hosting;
using Hotline.Functions.Roster;
using Hotline.Messaging;
using Hotline.Routing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Conversations;

/// <summary>The counsellor's conversations (a supervisor sees all): list, read, accept, reply, close, transfer, intake.</summary>
[Authorize(Policy = Policies.Counsellor)]
public sealed class ConversationFunctions(
    IConversationStore store, IContactStatistics statistics, IWorkQueue queue, ConversationCloser closer, ConversationAssigner assigner,
    LanguageSettings languages, Hotline.Calls.CallDesk desk, TimeProvider time, ILogger<ReplyRequest> replyLogger)
{
    /// <summary>The console's poll.</summary>
    [Function("ConversationsList"), RecordsPresence]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/conversations")] HttpRequest request, CancellationToken ct) =>
        await ConversationEndpoints.ListAsync(request.HttpContext.User, store, ct);

    [Function("ConversationGet")]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/conversations/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        await ConversationEndpoints.GetAsync(id, request.HttpContext.User, store, ct);

    [Function("ConversationAccept")]
    public async Task<IResult> Accept(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/conversations/{id}/accept")] HttpRequest request, string id, CancellationToken ct) =>
        await ConversationEndpoints.AcceptAsync(id, request.HttpContext.User, store, statistics, time, ct);

    [Function("ConversationReply")]
    public async Task<IResult> Reply(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/conversations/{id}/messages")] HttpRequest request, string id, CancellationToken ct) =>
        await ConversationEndpoints.ReplyAsync(id, await request.ReadJsonAsync<ReplyRequest>(ct), request.HttpContext.User, store, queue, time, replyLogger, ct);

    [Function("ConversationClose")]
    public async Task<IResult> Close(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/conversations/{id}/close")] HttpRequest request, string id, CancellationToken ct) =>
        await ConversationEndpoints.CloseAsync(id, request.HttpContext.User, store, closer, desk, ct);

    [Function("ConversationTransfer")]
    public async Task<IResult> Transfer(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/conversations/{id}/transfer")] HttpRequest request, string id, CancellationToken ct) =>
        await ConversationEndpoints.TransferAsync(id, await request.ReadJsonAsync<TransferRequest>(ct), request.HttpContext.User, store, assigner, languages, ct);

    [Function("ConversationIntake")]
    public async Task<IResult> SaveIntake(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/conversations/{id}/intake")] HttpRequest request, string id, CancellationToken ct) =>
        await ConversationEndpoints.SaveIntakeAsync(id, await request.ReadJsonAsync<IntakeRequest>(ct), request.HttpContext.User, store, time, ct);
}

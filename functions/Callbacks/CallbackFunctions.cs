using Hotline.Callbacks;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Callbacks;

/// <summary>
/// Timer: every minute, callback requests whose safe window has come are released to a counsellor, released ones
/// nobody acted on within their window wait for the next, expired ones close and their secrets are destroyed.
/// </summary>
public sealed class CallbackReleaseFunction(CallbackScheduler scheduler, TimeProvider time)
{
    [Function("CallbackRelease")]
    public Task Run([TimerTrigger("0 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        scheduler.ReleaseDueAsync(time.GetUtcNow(), cancellationToken);
}

/// <summary>
/// Timer: every hour, the rows of callback requests closed longer than <c>Callbacks__ClosedRetention</c> ago are
/// deleted (their secrets went when they closed; the rows kept only windows and outcomes for the board).
/// </summary>
public sealed class CallbackRetentionFunction(CallbackScheduler scheduler, TimeProvider time)
{
    [Function("CallbackRetention")]
    public Task Run([TimerTrigger("0 17 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        scheduler.ForgetClosedAsync(time.GetUtcNow(), cancellationToken);
}

/// <summary>
/// Callbacks in the console: asked for during a conversation, mine to make now, the call through the hotline, its
/// outcome, cancelling (see <see cref="CallbackEndpoints"/> for who may do what).
/// </summary>
[Microsoft.AspNetCore.Authorization.Authorize(Policy = Hotline.Functions.Auth.Policies.Counsellor)]
public sealed class CallbackStaffFunctions(
    Hotline.Conversations.IConversationStore conversations,
    ICallbackStore store,
    ICallbackSecrets secrets,
    CallbackIntake intake,
    CallbackScheduler scheduler,
    Hotline.Privacy.ReplyAddressProtector replyAddresses,
    Hotline.Roster.IRosterStore roster,
    CallbackLines lines,
    Hotline.Twilio.TwilioPhoneCalls calls,
    Hotline.Functions.Voice.CallSettings callSettings,
    Hotline.Functions.Sms.SmsSettings hotline,
    TimeProvider time,
    ILogger<CallStarted> callLog)
{
    [Function("CallbackOptions")]
    public IResult Options([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/callbacks/options")] HttpRequest request) =>
        CallbackEndpoints.Options(intake);

    [Function("CallbackCreate")]
    public async Task<IResult> Create(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/conversations/{id}/callbacks")] HttpRequest request, string id, CancellationToken ct) =>
        await CallbackEndpoints.CreateAsync(
            id, await Hotline.Functions.Hosting.RequestBody.ReadJsonAsync<NewCallback>(request, ct), request.HttpContext.User, conversations, intake, replyAddresses, ct);

    [Function("CallbackOfConversation")]
    public async Task<IResult> OfConversation(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/conversations/{id}/callback")] HttpRequest request, string id, CancellationToken ct) =>
        await CallbackEndpoints.OfConversationAsync(id, request.HttpContext.User, conversations, intake, ct);

    [Function("CallbacksMine")]
    public async Task<IResult> Mine([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/callbacks/mine")] HttpRequest request, CancellationToken ct) =>
        await CallbackEndpoints.MineAsync(request.HttpContext.User, store, intake, time, ct);

    [Function("CallbackCall")]
    public async Task<IResult> Call(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/callbacks/{id}/call")] HttpRequest request, string id, CancellationToken ct)
    {
        // The code word is in this answer: no cache may keep it.
        request.HttpContext.Response.Headers.CacheControl = "no-store";
        var publicBase = hotline.PublicBaseUrl ?? new Uri($"{request.Scheme}://{request.Host}");
        return await CallbackEndpoints.CallAsync(
            id, request.HttpContext.User, store, secrets, roster, conversations, lines, calls, callSettings, publicBase, callLog, ct);
    }

    [Function("CallbackOutcome")]
    public async Task<IResult> Outcome(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/callbacks/{id}/outcome")] HttpRequest request, string id, CancellationToken ct) =>
        await CallbackEndpoints.OutcomeAsync(
            id, await Hotline.Functions.Hosting.RequestBody.ReadJsonAsync<OutcomeRequest>(request, ct), request.HttpContext.User, store, scheduler, intake, time, ct);

    [Function("CallbackCancel")]
    public async Task<IResult> Cancel(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/callbacks/{id}/cancel")] HttpRequest request, string id, CancellationToken ct) =>
        await CallbackEndpoints.CancelAsync(id, request.HttpContext.User, store, conversations, intake, ct);
}

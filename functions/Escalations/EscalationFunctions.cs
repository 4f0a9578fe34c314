using Hotline.Conversations;
using Hotline.Escalations;
using Hotline.Functions.Auth;
using Hotline.Functions.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Escalations;

/// <summary>Counsellors raise an emergency, record consent and refer; they read the partner directory to choose.</summary>
[Authorize(Policy = Policies.Counsellor)]
public sealed class EscalationFunctions(
    IConversationStore store, IEscalationStore escalations, IReferralStore referrals, IPartnerDirectory partners, EmergencyRaiser raiser,
    ReferralDesk desk, AlertSettings alerts, TimeProvider time)
{
    [Function("EmergencyRaise")]
    public async Task<IResult> Raise(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/conversations/{id}/emergency")] HttpRequest request, string id, CancellationToken ct) =>
        await EscalationEndpoints.RaiseAsync(id, await request.ReadJsonAsync<EmergencyRequest>(ct), request.HttpContext.User, store, escalations, raiser, alerts, ct);

    [Function("EscalationGet")]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/escalations/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        await EscalationEndpoints.GetAsync(id, request.HttpContext.User, escalations, store, referrals, ct);

    [Function("EscalationConsent")]
    public async Task<IResult> Consent(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/escalations/{id}/consents")] HttpRequest request, string id, CancellationToken ct) =>
        await EscalationEndpoints.ConsentAsync(id, await request.ReadJsonAsync<ConsentRequest>(ct), request.HttpContext.User, escalations, store, partners, desk, time, ct);

    [Function("EscalationRefer")]
    public async Task<IResult> Refer(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/escalations/{id}/referrals")] HttpRequest request, string id, CancellationToken ct) =>
        await EscalationEndpoints.ReferAsync(id, await request.ReadJsonAsync<ReferRequest>(ct), request.HttpContext.User, escalations, store, desk, ct);

    /// <summary>Counsellors read the directory too: they choose the agency a caller consents to.</summary>
    [Function("PartnersList")]
    public async Task<IResult> Partners([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/partners")] HttpRequest request, CancellationToken ct) =>
        TypedResults.Ok((await partners.ListAsync(ct)).OrderBy(p => p.Id, StringComparer.Ordinal).ToList());
}

/// <summary>Supervisors approve an exception to consent, keep the partner directory and read the escalation log.</summary>
[Authorize(Policy = Policies.Supervisor)]
public sealed class EscalationSupervisionFunctions(
    IEscalationStore escalations, IReferralStore referrals, IPartnerDirectory partners, IEscalationLog log, ReferralDesk desk,
    IHostEnvironment environment, TimeProvider time)
{
    [Function("EscalationException")]
    public async Task<IResult> ApproveException(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/escalations/{id}/exception")] HttpRequest request, string id, CancellationToken ct) =>
        await EscalationEndpoints.ApproveExceptionAsync(id, await request.ReadJsonAsync<ExceptionRequest>(ct), request.HttpContext.User, escalations, partners, desk, time, ct);

    [Function("PartnerSave")]
    public async Task<IResult> SavePartner(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/partners/{agencyId}")] HttpRequest request, string agencyId, CancellationToken ct) =>
        await EscalationEndpoints.SavePartnerAsync(agencyId, await request.ReadJsonAsync<PartnerRequest>(ct), partners, environment, ct);

    [Function("EscalationsList")]
    public async Task<IResult> Log([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/escalations")] HttpRequest request, CancellationToken ct) =>
        await EscalationLogEndpoint.ListAsync(
            request.Time("from"), request.Time("to"), request.Text("agency"), request.Text("status"), request.Flag("overdue"),
            log, escalations, referrals, ct);
}

/// <summary>
/// Partner agencies read the referrals addressed to them (supervisors read all) and acknowledge receipt. Who may call
/// is settled before anything is looked up, so an unknown id tells nobody without a right anything.
/// </summary>
public sealed class ReferralFunctions(IReferralStore referrals, IEscalationLog log, TimeProvider time)
{
    [Function("ReferralsList"), Authorize(Policy = Policies.PartnerOrSupervisor)]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/referrals")] HttpRequest request, CancellationToken ct) =>
        await EscalationEndpoints.ListReferralsAsync(request.HttpContext.User, referrals, ct);

    [Function("ReferralGet"), Authorize(Policy = Policies.PartnerOrSupervisor)]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/referrals/{id}")] HttpRequest request, string id, CancellationToken ct) =>
        await EscalationEndpoints.GetReferralAsync(id, request.HttpContext.User, referrals, log, request.HttpContext.Response, ct);

    /// <summary>With a partner token, or a receipt signed with the agency's webhook secret.</summary>
    [Function("ReferralAck"), Authorize(Policy = Policies.PartnerReceipt)]
    public async Task<IResult> Acknowledge(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/referrals/{id}/ack")] HttpRequest request, string id, CancellationToken ct) =>
        await EscalationEndpoints.AcknowledgeAsync(id, request.HttpContext.User, referrals, log, time, ct);
}

using System.Security.Claims;
using System.Text.RegularExpressions;
using Hotline.Conversations;
using Hotline.Escalations;
using Hotline.Functions.Auth;
using Hotline.Functions.Hosting;
using Hotline.Privacy;
using Hotline.Secrets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hotline.Functions.Escalations;

/// <summary>
/// Emergencies, consent, exceptions, referrals and receipts. Counsellors act on escalations of conversations assigned
/// to them, supervisors on all; only supervisors approve exceptions and keep the partner directory; a partner agency
/// sees and acknowledges only referrals addressed to it.
/// </summary>
public static partial class EscalationEndpoints
{
    public static IEndpointRouteBuilder MapEscalations(this IEndpointRouteBuilder app)
    {
        var staff = app.MapGroup("/api").RequireAuthorization(Policies.Counsellor);
        staff.MapPost("/conversations/{id}/emergency", RaiseAsync).AsFunction("EmergencyRaise");
        staff.MapGet("/escalations/{id}", GetAsync).AsFunction("EscalationGet");
        staff.MapPost("/escalations/{id}/consents", ConsentAsync).AsFunction("EscalationConsent");
        staff.MapPost("/escalations/{id}/referrals", ReferAsync).AsFunction("EscalationRefer");
        var supervisors = app.MapGroup("/api").RequireAuthorization(Policies.Supervisor);
        supervisors.MapPost("/escalations/{id}/exception", ApproveExceptionAsync).AsFunction("EscalationException");
        // Counsellors read the directory too: they choose the agency a caller consents to.
        staff.MapGet("/partners", async (IPartnerDirectory partners, CancellationToken ct) =>
            TypedResults.Ok((await partners.ListAsync(ct)).OrderBy(p => p.Id, StringComparer.Ordinal).ToList())).AsFunction("PartnersList");
        supervisors.MapPut("/partners/{agencyId}", SavePartnerAsync).AsFunction("PartnerSave");
        app.MapGet("/api/referrals", ListReferralsAsync).RequireAuthorization(Policies.PartnerOrSupervisor).AsFunction("ReferralsList");
        app.MapPost("/api/referrals/{id}/ack", AcknowledgeAsync).AllowAnonymous().DisableAntiforgery().AsFunction("ReferralAck");
        return app;
    }

    internal static async Task<Results<Ok<EscalationView>, ProblemHttpResult>> RaiseAsync(
        string id, EmergencyRequest? request, ClaimsPrincipal user, IConversationStore store, IEscalationStore escalations,
        EmergencyRaiser raiser, CancellationToken ct)
    {
        if (request?.Category is { } category && !Escalation.Categories.Contains(category))
        {
            return Problem(400, $"'category' must be one of: {string.Join(", ", Escalation.Categories)}.");
        }

        if (new[] { request?.Facts?.Location, request?.Facts?.Happening, request?.Facts?.AtRisk }.Any(f => f?.Length > Escalation.MaxFactCharacters))
        {
            return Problem(400, $"Each fact is at most {Escalation.MaxFactCharacters} characters.");
        }

        if (!ConversationIds.IsValid(id) || await store.FindAsync(id, ct) is not { } conversation)
        {
            return Problem(404, "No such conversation.");
        }

        if (!MayAct(user, conversation))
        {
            return Problem(403, "This conversation is not assigned to you.");
        }

        conversation = await raiser.RaiseAsync(conversation, "counsellor", user.UserId() ?? "unknown", ct);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var escalation = await escalations.FindAsync(conversation.EscalationId!, ct)
                ?? throw new InvalidOperationException("The escalation record is missing.");
            var assessed = escalation with
            {
                Category = request?.Category ?? escalation.Category,
                Facts = request?.Facts ?? escalation.Facts,
                Indicators = request?.Indicators?.Distinct().ToList() ?? escalation.Indicators,
            };
            if (await escalations.TryUpdateAsync(assessed, ct))
            {
                return TypedResults.Ok(EscalationView.From(assessed));
            }
        }

        return Problem(409, "The escalation kept changing; try again.");
    }

    internal static async Task<Results<Ok<EscalationView>, ProblemHttpResult>> GetAsync(
        string id, ClaimsPrincipal user, IEscalationStore escalations, IConversationStore store, CancellationToken ct)
    {
        var (escalation, problem) = await AccessibleAsync(id, user, escalations, store, ct);
        return problem ?? (Results<Ok<EscalationView>, ProblemHttpResult>)TypedResults.Ok(EscalationView.From(escalation!));
    }

    internal static async Task<Results<Ok<EscalationView>, ProblemHttpResult>> ConsentAsync(
        string id, ConsentRequest? request, ClaimsPrincipal user, IEscalationStore escalations, IConversationStore store,
        IPartnerDirectory partners, ReferralDesk desk, TimeProvider time, CancellationToken ct)
    {
        if (request is null || string.IsNullOrWhiteSpace(request.AgencyId) || request.How is not ("verbal" or "typed")
            || string.IsNullOrWhiteSpace(request.GivenBy) || request.Covers is not { Count: > 0 } covers || covers.Any(c => !ReferralFields.All.Contains(c)))
        {
            return Problem(400, $"A consent needs 'agencyId', 'givenBy', 'how' (verbal or typed) and 'covers' (some of: {string.Join(", ", ReferralFields.All)}).");
        }

        var (_, problem) = await AccessibleAsync(id, user, escalations, store, ct);
        if (problem is not null)
        {
            return problem;
        }

        if (await partners.FindAsync(request.AgencyId, ct) is null)
        {
            return Problem(404, "No such partner agency.");
        }

        var consent = new Consent(request.AgencyId, request.GivenBy.Trim(), request.How, time.GetUtcNow(), covers.Distinct().ToList(), user.UserId() ?? "unknown");
        return await desk.RecordConsentAsync(id, consent, ct) is { } saved ? TypedResults.Ok(EscalationView.From(saved)) : Problem(404, "No such escalation.");
    }

    internal static async Task<Results<Ok<EscalationView>, ProblemHttpResult>> ApproveExceptionAsync(
        string id, ExceptionRequest? request, ClaimsPrincipal user, IEscalationStore escalations, IPartnerDirectory partners,
        ReferralDesk desk, TimeProvider time, CancellationToken ct)
    {
        if (request is null || string.IsNullOrWhiteSpace(request.AgencyId) || string.IsNullOrWhiteSpace(request.Reason)
            || request.Covers is not { Count: > 0 } covers || covers.Any(c => !ReferralFields.All.Contains(c)))
        {
            return Problem(400, "An exception needs 'agencyId', a 'reason' and 'covers'.");
        }

        if (await escalations.FindAsync(id, ct) is not { } escalation)
        {
            return Problem(404, "No such escalation.");
        }

        if (escalation.Category is not { } category || !Escalation.ExceptionCategories.Contains(category))
        {
            return Problem(409, $"An exception to consent is only for: {string.Join(", ", Escalation.ExceptionCategories)}; set the category first.");
        }

        if (await partners.FindAsync(request.AgencyId, ct) is null)
        {
            return Problem(404, "No such partner agency.");
        }

        var approval = new ExceptionApproval(request.AgencyId, request.Reason.Trim(), time.GetUtcNow(), covers.Distinct().ToList(), user.UserId() ?? "unknown");
        return await desk.ApproveExceptionAsync(id, approval, ct) is { } saved ? TypedResults.Ok(EscalationView.From(saved)) : Problem(404, "No such escalation.");
    }

    internal static async Task<Results<Accepted<Referral>, ProblemHttpResult>> ReferAsync(
        string id, ReferRequest? request, ClaimsPrincipal user, IEscalationStore escalations, IConversationStore store, ReferralDesk desk,
        CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request?.AgencyId))
        {
            return Problem(400, "'agencyId' is required.");
        }

        var (_, problem) = await AccessibleAsync(id, user, escalations, store, ct);
        if (problem is not null)
        {
            return problem;
        }

        var (decision, referral) = await desk.ReferAsync(id, request.AgencyId, user.UserId() ?? "unknown", ct);
        return decision switch
        {
            ReferralDecision.Queued => TypedResults.Accepted($"/api/referrals/{referral!.Id}", referral),
            ReferralDecision.NoSuchAgency => Problem(404, "No such partner agency."),
            ReferralDecision.NotCovered => Problem(409,
                "Neither the caller's consent nor a supervisor's approved exception covers this agency: nothing was sent."),
            _ => Problem(404, "No such escalation."),
        };
    }

    internal static async Task<Results<Ok<PartnerAgency>, ProblemHttpResult>> SavePartnerAsync(
        string agencyId, PartnerAgency? agency, IPartnerDirectory partners, CancellationToken ct)
    {
        if (!AgencyIdPattern().IsMatch(agencyId))
        {
            return Problem(400, "The agency id must be 1-40 lower-case letters, digits or '-'.");
        }

        if (agency is null || string.IsNullOrWhiteSpace(agency.Name) || agency.WebhookUrl is not { Scheme: "https" or "http" })
        {
            return Problem(400, "A partner needs a 'name' and an absolute 'webhookUrl'.");
        }

        var saved = agency with
        {
            Id = agencyId,
            AckDeadline = agency.AckDeadline > TimeSpan.Zero ? agency.AckDeadline : PartnerAgency.DefaultAckDeadline,
            Areas = agency.Areas ?? [], Languages = agency.Languages ?? [], AlertPhones = agency.AlertPhones ?? [],
        };
        await partners.SaveAsync(saved, ct);
        return TypedResults.Ok(saved);
    }

    internal static async Task<Ok<IReadOnlyList<Referral>>> ListReferralsAsync(ClaimsPrincipal user, IReferralStore referrals, CancellationToken ct) =>
        TypedResults.Ok(await referrals.ListAsync(user.IsInRole(Roles.Supervisor) ? null : user.UserId(), ct));

    /// <summary>
    /// The agency confirms receipt: with a partner token whose user is the agency, or a request signed with the agency's
    /// webhook secret. Acknowledging twice is harmless; acknowledging another agency's referral is refused.
    /// </summary>
    internal static async Task<Results<Ok<Referral>, ProblemHttpResult>> AcknowledgeAsync(
        string id, HttpRequest request, ClaimsPrincipal user, IReferralStore referrals, ISecretStore secrets, IEscalationLog log,
        TimeProvider time, CancellationToken ct)
    {
        if (await referrals.FindAsync(id, ct) is not { } referral)
        {
            return Problem(404, "No such referral.");
        }

        if (user.IsInRole(Roles.Partner))
        {
            if (user.UserId() != referral.AgencyId)
            {
                return Problem(403, "This referral is addressed to another agency.");
            }
        }
        else
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync(ct);
            var secret = await secrets.GetAsync(PartnerAgency.SecretNameFor(referral.AgencyId), ct);
            if (!StandardWebhooks.IsValid(secret, request.Headers[StandardWebhooks.IdHeader], request.Headers[StandardWebhooks.TimestampHeader],
                    request.Headers[StandardWebhooks.SignatureHeader], body, time.GetUtcNow()))
            {
                return Problem(401, "Acknowledge with a partner token, or sign the request with your agency's webhook secret (Standard Webhooks).");
            }
        }

        for (var attempt = 0; attempt < 5 && referral.AcknowledgedAt is null; attempt++)
        {
            var acknowledged = referral with { Status = ReferralStatuses.Acknowledged, AcknowledgedAt = time.GetUtcNow() };
            if (await referrals.TryUpdateAsync(acknowledged, ct))
            {
                await log.AppendAsync(referral.EscalationId, EscalationStep.Acknowledged, "agency:" + referral.AgencyId,
                    new Dictionary<string, string> { ["referral"] = referral.Id, ["agency"] = referral.AgencyId }, ct);
                return TypedResults.Ok(acknowledged);
            }

            referral = (await referrals.FindAsync(id, ct))!;
        }

        return TypedResults.Ok(referral);
    }

    private static async Task<(Escalation? Escalation, ProblemHttpResult? Problem)> AccessibleAsync(
        string id, ClaimsPrincipal user, IEscalationStore escalations, IConversationStore store, CancellationToken ct)
    {
        if (await escalations.FindAsync(id, ct) is not { } escalation)
        {
            return (null, Problem(404, "No such escalation."));
        }

        var conversation = await store.FindAsync(escalation.ConversationId, ct);
        return user.IsInRole(Roles.Supervisor) || (conversation is not null && MayAct(user, conversation))
            ? (escalation, null)
            : (null, Problem(403, "This escalation's conversation is not assigned to you."));
    }

    private static bool MayAct(ClaimsPrincipal user, Conversation conversation) =>
        user.IsInRole(Roles.Supervisor) || (conversation.AssignedTo is not null && conversation.AssignedTo == user.UserId());

    private static ProblemHttpResult Problem(int status, string reason) => TypedResults.Problem(reason, statusCode: status);

    [GeneratedRegex("^[a-z0-9-]{1,40}$")]
    private static partial Regex AgencyIdPattern();
}

public sealed record EmergencyRequest(string? Category, EmergencyFacts? Facts, IReadOnlyList<string>? Indicators);

public sealed record ConsentRequest(string? AgencyId, string? GivenBy, string? How, IReadOnlyList<string>? Covers);

public sealed record ExceptionRequest(string? AgencyId, string? Reason, IReadOnlyList<string>? Covers);

public sealed record ReferRequest(string? AgencyId);

public sealed record EscalationView(
    string Id, string ConversationId, string Source, string RaisedBy, DateTimeOffset RaisedAt, string? Category, EmergencyFacts Facts,
    IReadOnlyList<string> Indicators, IReadOnlyList<Consent> Consents, IReadOnlyList<ExceptionApproval> Exceptions)
{
    public static EscalationView From(Escalation e) => new(
        e.Id, e.ConversationId, e.Source, e.RaisedBy, e.RaisedAt, e.Category, e.Facts, e.Indicators, e.Consents, e.Exceptions);
}

using System.Security.Claims;
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
public static class EscalationEndpoints
{
    internal static async Task<Results<Ok<EscalationView>, ProblemHttpResult>> RaiseAsync(
        string id, EmergencyRequest? request, ClaimsPrincipal user, IConversationStore store, IEscalationStore escalations,
        EmergencyRaiser raiser, AlertSettings alerts, CancellationToken ct)
    {
        if (request?.Category is { } category && !Escalation.Categories.Contains(category))
        {
            return Problem(400, $"'category' must be one of: {string.Join(", ", Escalation.Categories)}.");
        }

        if (new[] { request?.Facts?.Location, request?.Facts?.Happening, request?.Facts?.AtRisk }.Any(f => f?.Length > Escalation.MaxFactCharacters))
        {
            return Problem(400, $"Each fact is at most {Escalation.MaxFactCharacters} characters.");
        }

        if (request?.Indicators?.FirstOrDefault(i => !Hotline.Conversations.Intake.ForcedLabourIndicators.Contains(i)) is { } unknown)
        {
            return Problem(400, $"'{unknown}' is not one of the indicators: {string.Join(", ", Hotline.Conversations.Intake.ForcedLabourIndicators)}.");
        }

        // Someone else's conversation is answered exactly like one that does not exist, so ids cannot be told apart.
        if (!ConversationIds.IsValid(id) || await store.FindAsync(id, ct) is not { } conversation || !MayAct(user, conversation))
        {
            return Problem(404, NoSuchConversation);
        }

        conversation = await raiser.RaiseAsync(conversation, "counsellor", user.UserId() ?? "unknown", ct);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var escalation = await escalations.FindAsync(conversation.EscalationId!, ct)
                ?? throw new InvalidOperationException("The escalation record is missing.");
            // Field by field: what the request leaves out (or empty) keeps what was recorded before.
            var facts = request?.Facts;
            var assessed = escalation with
            {
                Category = request?.Category ?? escalation.Category,
                Facts = new EmergencyFacts(
                    Blank(facts?.Location) ?? escalation.Facts.Location,
                    Blank(facts?.Happening) ?? escalation.Facts.Happening,
                    Blank(facts?.AtRisk) ?? escalation.Facts.AtRisk),
                Indicators = request?.Indicators is { Count: > 0 } ticked ? ticked.Distinct().ToList() : escalation.Indicators,
            };
            if (await escalations.TryUpdateAsync(assessed, ct))
            {
                // Say how the supervisor hears of it: texted to the duty phones, or only on the board when none is set.
                return TypedResults.Ok(EscalationView.From(assessed) with { SupervisorAlert = SupervisorAlertView.For(alerts) });
            }
        }

        return Problem(409, "The escalation kept changing; try again.");
    }

    internal static async Task<Results<Ok<EscalationView>, ProblemHttpResult>> GetAsync(
        string id, ClaimsPrincipal user, IEscalationStore escalations, IConversationStore store, IReferralStore referrals, CancellationToken ct)
    {
        var (escalation, problem) = await AccessibleAsync(id, user, escalations, store, ct);
        if (problem is not null)
        {
            return problem;
        }

        // Its referrals too, so the counsellor sees whether each agency has acknowledged.
        var sent = (await referrals.ListAsync(cancellationToken: ct)).Where(r => r.EscalationId == id).OrderBy(r => r.CreatedAt)
            .Select(r => ReferralView.From(r, r.CreatedBy)).ToList();
        return TypedResults.Ok(EscalationView.From(escalation!) with { Referrals = sent });
    }

    internal static async Task<Results<Ok<EscalationView>, ProblemHttpResult>> ConsentAsync(
        string id, ConsentRequest? request, ClaimsPrincipal user, IEscalationStore escalations, IConversationStore store,
        IPartnerDirectory partners, ReferralDesk desk, TimeProvider time, CancellationToken ct)
    {
        if (request is null || string.IsNullOrWhiteSpace(request.AgencyId) || request.How is not ("verbal" or "typed")
            || request.GivenBy is not ("caller" or "parent-or-guardian") || !IsCoverList(request.Covers))
        {
            return Problem(400, "A consent needs 'agencyId', 'givenBy' (caller or parent-or-guardian), 'how' (verbal or typed) and " +
                $"'covers' (some of: {string.Join(", ", ReferralFields.All)}).");
        }

        if (!PartnerAgency.IsWellFormedId(request.AgencyId))
        {
            return Problem(400, AgencyIdRule("agencyId"));
        }

        var covers = request.Covers!;

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
            || request.Reason.Length > Escalation.MaxFactCharacters || !IsCoverList(request.Covers))
        {
            return Problem(400, $"An exception needs 'agencyId', a 'reason' (at most {Escalation.MaxFactCharacters} characters) and " +
                $"'covers' (some of: {string.Join(", ", ReferralFields.All)}).");
        }

        if (!PartnerAgency.IsWellFormedId(request.AgencyId))
        {
            return Problem(400, AgencyIdRule("agencyId"));
        }

        var covers = request.Covers!;

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

        if (!PartnerAgency.IsWellFormedId(request.AgencyId))
        {
            return Problem(400, AgencyIdRule("agencyId"));
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
            ReferralDecision.AlreadyReferred => Problem(409, $"A referral to this agency is already on its way or awaiting receipt ({referral!.Id})."),
            ReferralDecision.NotCovered => Problem(409,
                "Neither the caller's consent nor a supervisor's approved exception covers this agency: nothing was sent."),
            _ => Problem(404, "No such escalation."),
        };
    }

    internal static async Task<Results<Ok<PartnerAgency>, ProblemHttpResult>> SavePartnerAsync(
        string agencyId, PartnerRequest? agency, IPartnerDirectory partners, IHostEnvironment environment, CancellationToken ct)
    {
        if (!PartnerAgency.IsWellFormedId(agencyId))
        {
            return Problem(400, AgencyIdRule("The agency id"));
        }

        if (agency is null || string.IsNullOrWhiteSpace(agency.Name))
        {
            return Problem(400, "A partner needs a 'name' and a 'webhookUrl'.");
        }

        if (FieldTooLong(agency) is { } tooLong)
        {
            return Problem(400, tooLong);
        }

        // Referrals carry personal data: https to a public address only (this machine only in Development, for local trials).
        if (!PartnerWebhookAddress.IsAllowed(agency.WebhookUrl, environment.IsDevelopment()))
        {
            return Problem(400, $"'webhookUrl' must be {PartnerWebhookAddress.Rule}.");
        }

        if (agency.AlertPhones?.FirstOrDefault(p => !IsPhoneNumber(p)) is { } phone)
        {
            return Problem(400, $"'alertPhones': '{phone}' is not a phone number in international form (+ and country code).");
        }

        if (agency.BackupAgencyId == agencyId)
        {
            return Problem(400, "An agency cannot be its own backup.");
        }

        // The backup must be reachable when the deadline passes: a well-formed id already in the directory.
        if (agency.BackupAgencyId is { } backup
            && (!PartnerAgency.IsWellFormedId(backup) || await partners.FindAsync(backup, ct) is null))
        {
            return Problem(400, $"'backupAgencyId' must name an agency already in the directory ({PartnerAgency.IdRule}); add the backup first.");
        }

        // Left out means the default; a zero or negative deadline is a mistake, not a wish for the default.
        if (agency.AckDeadline is { } deadline && deadline <= TimeSpan.Zero)
        {
            return Problem(400, "'ackDeadline' must be more than zero, e.g. \"00:15:00\" for 15 minutes; " +
                $"leave it out for the default of {DurationWords.Of(PartnerAgency.DefaultAckDeadline)}.");
        }

        if (agency.AckDeadline > PartnerAgency.MaxAckDeadline)
        {
            return Problem(400, $"'ackDeadline' is at most {DurationWords.Of(PartnerAgency.MaxAckDeadline)}: a referral is urgent.");
        }

        var saved = new PartnerAgency(
            agencyId, agency.Name, agency.Mandate ?? string.Empty, agency.Areas ?? [], agency.Languages ?? [], agency.Hours ?? string.Empty,
            agency.WebhookUrl!, agency.AlertPhones ?? [], agency.BackupAgencyId, agency.AckDeadline ?? PartnerAgency.DefaultAckDeadline);
        await partners.SaveAsync(saved, ct);
        return TypedResults.Ok(saved);
    }

    internal static async Task<Results<Ok<IReadOnlyList<ReferralView>>, ProblemHttpResult>> ListReferralsAsync(
        ClaimsPrincipal user, IReferralStore referrals, CancellationToken ct)
    {
        if (user.IsInRole(Roles.Supervisor))
        {
            return TypedResults.Ok<IReadOnlyList<ReferralView>>((await referrals.ListAsync(null, ct)).Select(r => ReferralView.From(r, r.CreatedBy)).ToList());
        }

        // A partner is its agency id; a token without one sees nothing rather than everything.
        if (user.UserId() is not { Length: > 0 } agency)
        {
            return Problem(403, "The token names no agency.");
        }

        return TypedResults.Ok<IReadOnlyList<ReferralView>>((await referrals.ListAsync(agency, ct)).Select(r => ReferralView.From(r, null)).ToList());
    }

    /// <summary>
    /// One referral and the packet sent for it (exactly what the webhook carried: only the consented fields): the
    /// addressed agency sees its own, a supervisor any; to another agency it does not exist. The packet is decrypted
    /// only after that check, and every look at it is logged first (who, which referral, when).
    /// </summary>
    internal static async Task<Results<Ok<ReferralDetail>, ProblemHttpResult>> GetReferralAsync(
        string id, ClaimsPrincipal user, IReferralStore referrals, IEscalationLog log, HttpResponse response, CancellationToken ct)
    {
        response.Headers.CacheControl = "no-store"; // the packet is personal data: no copy in any cache
        var supervisor = user.IsInRole(Roles.Supervisor);
        if (!supervisor && user.UserId() is not { Length: > 0 })
        {
            return Problem(403, "The token names no agency.");
        }

        // Another agency's referral is answered exactly like one that does not exist, so ids cannot be probed.
        if (!Referral.IsWellFormedId(id) || await referrals.FindAsync(id, ct) is not { } referral
            || (!supervisor && user.UserId() != referral.AgencyId))
        {
            return Problem(404, "No such referral.");
        }

        var packet = await referrals.FindPacketAsync(referral.Id, ct);
        if (packet is not null)
        {
            await log.AppendAsync(referral.EscalationId, EscalationStep.Viewed,
                supervisor ? user.UserId() ?? "unknown" : "agency:" + referral.AgencyId,
                new Dictionary<string, string> { ["referral"] = referral.Id, ["agency"] = referral.AgencyId }, ct);
        }

        return TypedResults.Ok(new ReferralDetail(
            ReferralView.From(referral, supervisor ? referral.CreatedBy : null),
            packet is null ? null : System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(packet)));
    }

    /// <summary>
    /// The agency confirms receipt, authenticated before this runs (<see cref="Policies.PartnerReceipt"/>): a partner
    /// token whose user is the agency, or a receipt signed with the agency's webhook secret that names this referral
    /// (<see cref="PartnerSignatureHandler"/>).
    /// Acknowledging twice is harmless; acknowledging another agency's referral is refused.
    /// </summary>
    internal static async Task<Results<Ok<Referral>, ProblemHttpResult>> AcknowledgeAsync(
        string id, ClaimsPrincipal user, IReferralStore referrals, IEscalationLog log, TimeProvider time, CancellationToken ct)
    {
        if (user.UserId() is not { Length: > 0 } agency)
        {
            return Problem(403, "The token names no agency.");
        }

        // A signature speaks for the one referral its body names: it cannot be replayed on another.
        if (user.FindFirst(PartnerSignatureHandler.ReferralClaim) is { } signed && signed.Value != id)
        {
            return Problem(403, "The signed body names another referral.");
        }

        if (!Referral.IsWellFormedId(id) || await referrals.FindAsync(id, ct) is not { } referral)
        {
            return Problem(404, "No such referral.");
        }

        if (agency != referral.AgencyId)
        {
            return Problem(403, "This referral is addressed to another agency.");
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
        // An escalation of someone else's conversation is answered exactly like one that does not exist.
        if (await escalations.FindAsync(id, ct) is not { } escalation)
        {
            return (null, Problem(404, NoSuchEscalation));
        }

        var conversation = await store.FindAsync(escalation.ConversationId, ct);
        return user.IsInRole(Roles.Supervisor) || (conversation is not null && MayAct(user, conversation))
            ? (escalation, null)
            : (null, Problem(404, NoSuchEscalation));
    }

    private const string NoSuchConversation = "No such conversation among those you can see.";
    private const string NoSuchEscalation = "No such escalation among those you can see.";

    private static bool MayAct(ClaimsPrincipal user, Conversation conversation) =>
        user.IsInRole(Roles.Supervisor) || (conversation.AssignedTo is not null && conversation.AssignedTo == user.UserId());

    private static ProblemHttpResult Problem(int status, string reason) => TypedResults.Problem(reason, statusCode: status);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string AgencyIdRule(string what) => $"{what} must be {PartnerAgency.IdRule}.";

    // Some of the referral fields, each at most once or twice: never more entries than a request could mean.
    private static bool IsCoverList(IReadOnlyList<string>? covers) =>
        covers is { Count: > 0 } && covers.Count <= 2 * ReferralFields.All.Count && covers.All(c => ReferralFields.All.Contains(c));

    private static bool IsPhoneNumber(string? number) =>
        number is { Length: > 0 and <= 32 } && !string.IsNullOrWhiteSpace(number)
        && PhoneNumberNormalizer.Normalize(number) is { Length: > 7 and <= 16 } e164 && e164.StartsWith('+');

    // Every field of an entry has a limit, so that an entry always fits its table row and the page shows it whole.
    private static string? FieldTooLong(PartnerRequest agency)
    {
        if (agency.Name!.Length > PartnerAgency.MaxNameLength)
        {
            return $"'name' is at most {PartnerAgency.MaxNameLength} characters.";
        }

        if (agency.Mandate?.Length > PartnerAgency.MaxTextLength || agency.Hours?.Length > PartnerAgency.MaxTextLength)
        {
            return $"'mandate' and 'hours' are at most {PartnerAgency.MaxTextLength} characters each.";
        }

        foreach (var (name, list) in new[] { ("areas", agency.Areas), ("languages", agency.Languages) })
        {
            if (list?.Count > PartnerAgency.MaxListEntries || list?.Any(e => e is null || e.Length > PartnerAgency.MaxListEntryLength) == true)
            {
                return $"'{name}' has at most {PartnerAgency.MaxListEntries} entries of at most {PartnerAgency.MaxListEntryLength} characters.";
            }
        }

        if (agency.AlertPhones?.Count > PartnerAgency.MaxAlertPhones)
        {
            return $"'alertPhones' has at most {PartnerAgency.MaxAlertPhones} numbers.";
        }

        return agency.WebhookUrl?.OriginalString.Length > PartnerAgency.MaxWebhookUrlLength
            ? $"'webhookUrl' is at most {PartnerAgency.MaxWebhookUrlLength} characters."
            : null;
    }
}

public sealed record EmergencyRequest(string? Category, EmergencyFacts? Facts, IReadOnlyList<string>? Indicators);

public sealed record ConsentRequest(string? AgencyId, string? GivenBy, string? How, IReadOnlyList<string>? Covers);

public sealed record ExceptionRequest(string? AgencyId, string? Reason, IReadOnlyList<string>? Covers);

public sealed record ReferRequest(string? AgencyId);

/// <summary>A partner agency as a supervisor enters it; <c>ackDeadline</c> left out means the default.</summary>
public sealed record PartnerRequest(
    string? Name, string? Mandate, IReadOnlyList<string>? Areas, IReadOnlyList<string>? Languages, string? Hours, Uri? WebhookUrl,
    IReadOnlyList<string>? AlertPhones, string? BackupAgencyId, TimeSpan? AckDeadline);

/// <summary>
/// A referral as listed: partners do not see which counsellor sent it. <c>AcknowledgeWithin</c> is the deadline the
/// agency was given on delivery, in words ("15 minutes").
/// </summary>
public record ReferralView(
    string Id, string EscalationId, string AgencyId, string Status, DateTimeOffset CreatedAt, string? CreatedBy, DateTimeOffset? SentAt,
    DateTimeOffset? AcknowledgeBy, DateTimeOffset? AcknowledgedAt, string? AcknowledgeWithin)
{
    public static ReferralView From(Referral r, string? createdBy) =>
        new(r.Id, r.EscalationId, r.AgencyId, r.Status, r.CreatedAt, createdBy, r.SentAt, r.AcknowledgeBy, r.AcknowledgedAt,
            r.SentAt is { } sent && r.AcknowledgeBy is { } by ? DurationWords.Of(by - sent) : null);
}

/// <summary>One referral with the packet sent to the agency (null until the first delivery attempt prepared it).</summary>
public sealed record ReferralDetail : ReferralView
{
    public ReferralDetail(ReferralView view, System.Text.Json.JsonElement? packet)
        : base(view) => Packet = packet;

    public System.Text.Json.JsonElement? Packet { get; }
}

public sealed record EscalationView(
    string Id, string ConversationId, string Source, string RaisedBy, DateTimeOffset RaisedAt, string? Category, EmergencyFacts Facts,
    IReadOnlyList<string> Indicators, IReadOnlyList<Consent> Consents, IReadOnlyList<ExceptionApproval> Exceptions,
    IReadOnlyList<ReferralView>? Referrals = null, SupervisorAlertView? SupervisorAlert = null)
{
    public static EscalationView From(Escalation e) => new(
        e.Id, e.ConversationId, e.Source, e.RaisedBy, e.RaisedAt, e.Category, e.Facts, e.Indicators, e.Consents, e.Exceptions);
}

/// <summary>How the supervisor on duty is told of a raised emergency: <c>sms</c> to <c>Numbers</c> phones, or the <c>board</c> only.</summary>
public sealed record SupervisorAlertView(string Via, int Numbers)
{
    public static SupervisorAlertView For(AlertSettings settings) =>
        new(settings.SupervisorNumbers.Count > 0 ? "sms" : "board", settings.SupervisorNumbers.Count);
}

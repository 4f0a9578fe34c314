using Hotline.Messaging;

namespace Hotline.Escalations;

public enum ReferralDecision
{
    Queued,
    NoSuchEscalation,
    NoSuchAgency,

    /// <summary>Neither the caller's consent nor a supervisor's exception covers this agency: nothing is sent.</summary>
    NotCovered,

    /// <summary>A referral of this escalation to this agency is already on its way or awaiting receipt.</summary>
    AlreadyReferred,
}

/// <summary>A referral to send (read by SendReferral).</summary>
public sealed record ReferralRequest(string ReferralId);

/// <summary>
/// Consent, exceptions and referrals: the caller's consent is recorded per agency with what it covers; a supervisor
/// may approve an exception, with a reason, where life or a child is at risk; a referral is queued only when one of
/// them covers the agency, and carries only the fields covered. Every step goes into the escalation log.
/// </summary>
public sealed class ReferralDesk(
    IEscalationStore escalations, IPartnerDirectory partners, IReferralStore referrals, IEscalationLog log, IWorkQueue queue,
    TimeProvider time)
{
    public async Task<Escalation?> RecordConsentAsync(string escalationId, Consent consent, CancellationToken cancellationToken = default)
    {
        var saved = await ChangeAsync(escalationId, e => e with { Consents = [.. e.Consents, consent] }, cancellationToken);
        if (saved is not null)
        {
            await log.AppendAsync(escalationId, EscalationStep.ConsentRecorded, consent.RecordedBy, new Dictionary<string, string>
            {
                ["agency"] = consent.AgencyId,
                ["how"] = consent.How,
                ["givenBy"] = consent.GivenBy,
                ["covers"] = string.Join(',', consent.Covers),
            }, cancellationToken);
        }

        return saved;
    }

    public async Task<Escalation?> ApproveExceptionAsync(string escalationId, ExceptionApproval approval, CancellationToken cancellationToken = default)
    {
        var saved = await ChangeAsync(escalationId, e => e with { Exceptions = [.. e.Exceptions, approval] }, cancellationToken);
        if (saved is not null)
        {
            // The reason stays with the escalation; the log records that there was one, and who approved.
            await log.AppendAsync(escalationId, EscalationStep.ExceptionApproved, approval.ApprovedBy, new Dictionary<string, string>
            {
                ["agency"] = approval.AgencyId,
                ["category"] = saved.Category ?? string.Empty,
                ["covers"] = string.Join(',', approval.Covers),
            }, cancellationToken);
        }

        return saved;
    }

    /// <summary>Queues a referral to the agency, if consent or an approved exception covers it; otherwise sends nothing.</summary>
    public async Task<(ReferralDecision Decision, Referral? Referral)> ReferAsync(
        string escalationId, string agencyId, string by, CancellationToken cancellationToken = default)
    {
        if (await escalations.FindAsync(escalationId, cancellationToken) is not { } escalation)
        {
            return (ReferralDecision.NoSuchEscalation, null);
        }

        if (await partners.FindAsync(agencyId, cancellationToken) is null)
        {
            return (ReferralDecision.NoSuchAgency, null);
        }

        if (escalation.SendableTo(agencyId).Count == 0)
        {
            return (ReferralDecision.NotCovered, null);
        }

        // One referral at a time per agency (a double click, a retried request): the agency must not get two.
        if ((await referrals.ListAsync(agencyId, cancellationToken)).FirstOrDefault(r =>
                r.EscalationId == escalationId && r.Status is ReferralStatuses.Queued or ReferralStatuses.Sent) is { } pending)
        {
            return (ReferralDecision.AlreadyReferred, pending);
        }

        var referral = new Referral { Id = Referral.NewId(), EscalationId = escalationId, AgencyId = agencyId, CreatedAt = time.GetUtcNow(), CreatedBy = by };
        await referrals.CreateAsync(referral, cancellationToken);
        await queue.EnqueueAsync(QueueNames.ReferralsToSend, new ReferralRequest(referral.Id), cancellationToken);
        return (ReferralDecision.Queued, referral);
    }

    /// <summary>The packet for the agency: the referral id, the hotline's contact, and only the fields covered for it.</summary>
    public static Dictionary<string, object?> PacketFor(Referral referral, Escalation escalation, string hotlineContact)
    {
        var covers = escalation.SendableTo(referral.AgencyId).ToHashSet(StringComparer.Ordinal);
        var packet = new Dictionary<string, object?>
        {
            ["referralId"] = referral.Id,
            ["urgency"] = "immediate",
            ["hotlineContact"] = hotlineContact,
        };
        void Add(string field, object? value)
        {
            if (covers.Contains(field) && value is not null)
            {
                packet[field] = value;
            }
        }

        Add(ReferralFields.Category, escalation.Category);
        Add(ReferralFields.Location, escalation.Facts.Location);
        Add(ReferralFields.Happening, escalation.Facts.Happening);
        Add(ReferralFields.AtRisk, escalation.Facts.AtRisk);
        Add(ReferralFields.Language, escalation.Language);
        // A way back to the person through the hotline, never their own number.
        Add(ReferralFields.Callback, new Dictionary<string, string> { ["via"] = hotlineContact, ["reference"] = referral.Id });
        return packet;
    }

    private async Task<Escalation?> ChangeAsync(string escalationId, Func<Escalation, Escalation> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            if (await escalations.FindAsync(escalationId, cancellationToken) is not { } escalation)
            {
                return null;
            }

            var changed = change(escalation);
            if (await escalations.TryUpdateAsync(changed, cancellationToken))
            {
                return changed;
            }
        }

        throw new InvalidOperationException($"Escalation {escalationId} kept changing.");
    }
}

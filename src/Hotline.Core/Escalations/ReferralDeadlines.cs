namespace Hotline.Escalations;

/// <summary>
/// A referral never goes silent: one not acknowledged within its agency's deadline (or never delivered by then) is
/// marked overdue, the supervisor on duty is alerted, and it goes to the agency's backup, if the caller's consent
/// (or an approved exception) covers the backup. Every step is logged.
/// </summary>
public sealed class ReferralDeadlines(
    IReferralStore referrals, IEscalationStore escalations, IPartnerDirectory partners, ReferralDesk desk, IEscalationLog log,
    ISupervisorAlerts alerts, TimeProvider time)
{
    /// <summary>Handles every referral past its deadline; returns how many.</summary>
    public async Task<int> CheckAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var handled = 0;
        var directory = (await partners.ListAsync(cancellationToken)).ToDictionary(p => p.Id, StringComparer.Ordinal);
        foreach (var referral in await referrals.ListAsync(cancellationToken: cancellationToken))
        {
            var agency = directory.GetValueOrDefault(referral.AgencyId);
            var deadline = referral.Status switch
            {
                ReferralStatuses.Sent => referral.AcknowledgeBy,
                ReferralStatuses.Queued => referral.CreatedAt + (agency?.AckDeadline ?? PartnerAgency.DefaultAckDeadline),
                _ => null,
            };
            if (deadline is null || deadline > now
                || !await referrals.TryUpdateAsync(referral with { Status = ReferralStatuses.Overdue }, cancellationToken))
            {
                continue; // not due, or changed meanwhile (perhaps acknowledged): the next check sees it as it is now
            }

            handled++;
            await log.AppendAsync(referral.EscalationId, EscalationStep.DeadlineMissed, "system", new Dictionary<string, string>
            {
                ["referral"] = referral.Id, ["agency"] = referral.AgencyId, ["status"] = referral.Status,
            }, cancellationToken);

            var escalation = await escalations.FindAsync(referral.EscalationId, cancellationToken);
            var backup = agency?.BackupAgencyId;
            var outcome = "no backup agency";
            if (backup is not null)
            {
                var (decision, next) = await desk.ReferAsync(referral.EscalationId, backup, "system", cancellationToken);
                outcome = decision == ReferralDecision.Queued ? $"sent to {backup}" : $"not sent to {backup}: no consent covers it";
                await log.AppendAsync(referral.EscalationId, EscalationStep.FailedOver, "system", new Dictionary<string, string>
                {
                    ["referral"] = referral.Id, ["from"] = referral.AgencyId, ["to"] = backup,
                    ["outcome"] = decision.ToString(), ["newReferral"] = next?.Id ?? string.Empty,
                }, cancellationToken);
            }

            await alerts.AlertAsync(new SupervisorAlert(referral.EscalationId, escalation?.ConversationId ?? string.Empty,
                $"referral {referral.Id} to {referral.AgencyId} not acknowledged in time; {outcome}"), cancellationToken);
        }

        return handled;
    }
}

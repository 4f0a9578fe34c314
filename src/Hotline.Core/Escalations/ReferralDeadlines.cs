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
    /// <summary>
    /// Handles every referral past its deadline; returns how many. Each is handled on its own: one that fails is
    /// tried again at the next check, and does not stop the others (the failures are reported together at the end).
    /// </summary>
    public async Task<int> CheckAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var handled = 0;
        var failures = new List<Exception>();
        var directory = (await partners.ListAsync(cancellationToken)).ToDictionary(p => p.Id, StringComparer.Ordinal);
        foreach (var referral in await referrals.ListUnsettledAsync(cancellationToken))
        {
            try
            {
                if (await HandleAsync(referral, directory, now, cancellationToken))
                {
                    handled++;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Add(e);
            }
        }

        return failures.Count == 0 ? handled : throw new AggregateException("Some overdue referrals could not be handled yet.", failures);
    }

    private async Task<bool> HandleAsync(
        Referral referral, IReadOnlyDictionary<string, PartnerAgency> directory, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var agency = directory.GetValueOrDefault(referral.AgencyId);
        var deadline = referral.Status switch
        {
            ReferralStatuses.Sent => referral.AcknowledgeBy,
            ReferralStatuses.Queued => referral.CreatedAt + (agency?.AckDeadline ?? PartnerAgency.DefaultAckDeadline),
            _ => null,
        };
        if (deadline is not null && deadline <= now)
        {
            // First the mark and its log entry, then the consequences (which a later check completes if they fail).
            var overdue = referral with { Status = ReferralStatuses.Overdue };
            if (!await referrals.TryUpdateAsync(overdue, cancellationToken))
            {
                return false; // changed meanwhile (perhaps acknowledged): the next check sees it as it is now
            }

            await log.AppendAsync(referral.EscalationId, EscalationStep.DeadlineMissed, "system", new Dictionary<string, string>
            {
                ["referral"] = referral.Id, ["agency"] = referral.AgencyId, ["status"] = referral.Status,
            }, cancellationToken);
            referral = await referrals.FindAsync(referral.Id, cancellationToken) ?? overdue;
        }

        if (referral.Status != ReferralStatuses.Overdue || referral.FailoverHandledAt is not null)
        {
            return false;
        }

        var escalation = await escalations.FindAsync(referral.EscalationId, cancellationToken);
        var backup = agency?.BackupAgencyId;
        var outcome = "no backup agency";
        if (backup is not null && !directory.ContainsKey(backup))
        {
            // The backup was never valid or has left the directory: the supervisor must find someone, and is told so
            // now (once), rather than the check failing at every run while nobody has the referral.
            outcome = PartnerAgency.IsWellFormedId(backup)
                ? $"its backup agency {backup} is not in the partner directory: nobody else was sent it, find another agency now"
                : "its backup agency is not a valid agency id: nobody else was sent it, find another agency now";
            await log.AppendAsync(referral.EscalationId, EscalationStep.FailedOver, "system", new Dictionary<string, string>
            {
                ["referral"] = referral.Id, ["from"] = referral.AgencyId, ["to"] = PartnerAgency.IsWellFormedId(backup) ? backup : "(invalid)",
                ["outcome"] = ReferralDecision.NoSuchAgency.ToString(), ["newReferral"] = string.Empty,
            }, cancellationToken);
        }
        else if (backup is not null
            && (await referrals.ListAsync(backup, cancellationToken)).Any(r => r.EscalationId == referral.EscalationId))
        {
            outcome = $"{backup} already had it"; // no ping-pong between two agencies that back each other up
        }
        else if (backup is not null)
        {
            var (decision, next) = await desk.ReferAsync(referral.EscalationId, backup, "system", cancellationToken);
            outcome = decision switch
            {
                ReferralDecision.Queued or ReferralDecision.AlreadyReferred => $"sent to {backup}",
                ReferralDecision.NoSuchAgency => $"not sent to {backup}: it is not in the partner directory, find another agency now",
                _ => $"not sent to {backup}: no consent covers it",
            };
            await log.AppendAsync(referral.EscalationId, EscalationStep.FailedOver, "system", new Dictionary<string, string>
            {
                ["referral"] = referral.Id, ["from"] = referral.AgencyId, ["to"] = backup,
                ["outcome"] = decision.ToString(), ["newReferral"] = next?.Id ?? string.Empty,
            }, cancellationToken);
        }

        // The deadline the agency had: from delivery when it was delivered, else from the referral's creation.
        var allowed = referral.SentAt is { } sentAt && referral.AcknowledgeBy is { } by
            ? by - sentAt
            : agency?.AckDeadline ?? PartnerAgency.DefaultAckDeadline;
        await alerts.AlertAsync(new SupervisorAlert(referral.EscalationId, escalation?.ConversationId ?? string.Empty,
            $"referral {referral.Id} to {referral.AgencyId} not acknowledged within {DurationWords.Of(allowed)}; {outcome}"), cancellationToken);
        await referrals.TryUpdateAsync(referral with { FailoverHandledAt = now }, cancellationToken);
        return true;
    }
}

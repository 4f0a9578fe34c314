using Hotline.Escalations;
using Hotline.Functions.Auth;
using Hotline.Functions.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hotline.Functions.Escalations;

/// <summary>
/// <c>GET /api/escalations</c> (supervisor): every escalation with its timeline from the log, filtered by date,
/// agency, status or overdue, and the verification of the whole chain (the first broken entry, if any).
/// </summary>
public static class EscalationLogEndpoint
{
    // An escalation with no referral yet; otherwise its status is its latest referral's.
    private const string Raised = "raised";

    private static readonly string[] Statuses =
        [Raised, ReferralStatuses.Queued, ReferralStatuses.Sent, ReferralStatuses.Acknowledged, ReferralStatuses.Overdue];

    internal static async Task<Results<Ok<EscalationLogView>, ProblemHttpResult>> ListAsync(
        DateTimeOffset? from, DateTimeOffset? to, string? agency, string? status, bool? overdue,
        IEscalationLog log, IEscalationStore escalations, IReferralStore referrals, CancellationToken ct)
    {
        // A misspelt status would otherwise show "nothing matches" to a supervisor checking that nothing is overdue.
        if (status is not null && !Statuses.Contains(status, StringComparer.Ordinal))
        {
            return TypedResults.Problem(statusCode: 400, title: "Unknown status",
                detail: $"status must be one of: {string.Join(", ", Statuses)}.");
        }

        var (entries, head) = await log.ReadAsync(ct);
        var verification = EscalationChain.Verify(entries, head);
        var referralsByEscalation = (await referrals.ListAsync(cancellationToken: ct)).ToLookup(r => r.EscalationId);

        var items = new List<EscalationSummary>();
        foreach (var timeline in entries.GroupBy(e => e.EscalationId))
        {
            var steps = timeline.OrderBy(e => e.Sequence).ToList();
            var raisedAt = steps[0].At;
            var mine = referralsByEscalation[timeline.Key].OrderBy(r => r.CreatedAt).ToList();
            var state = mine.Count == 0 ? Raised : mine[^1].Status;
            var isOverdue = mine.Any(r => r.Status == ReferralStatuses.Overdue) && !mine.Any(r => r.Status == ReferralStatuses.Acknowledged);
            var agencies = mine.Select(r => r.AgencyId).Distinct().ToList();
            if ((from is not null && raisedAt < from) || (to is not null && raisedAt > to)
                || (agency is not null && !agencies.Contains(agency)) || (status is not null && state != status)
                || (overdue is not null && isOverdue != overdue))
            {
                continue;
            }

            var record = await escalations.FindAsync(timeline.Key, ct);
            items.Add(new EscalationSummary(
                timeline.Key, record?.ConversationId, raisedAt, record?.Source, record?.Category, state, isOverdue, agencies,
                steps.Select(e => new TimelineStep(e.Sequence, e.At, e.Step.ToString(), e.Actor, e.Details)).ToList()));
        }

        return TypedResults.Ok(new EscalationLogView(
            new ChainStatus(verification.Intact, verification.Entries, verification.FirstBrokenSequence, verification.Problem),
            items.OrderByDescending(i => i.RaisedAt).ToList()));
    }
}

public sealed record ChainStatus(bool Intact, int Entries, long? FirstBrokenSequence, string? Problem);

public sealed record TimelineStep(long Sequence, DateTimeOffset At, string Step, string Actor, IReadOnlyDictionary<string, string> Details);

public sealed record EscalationSummary(
    string Id, string? ConversationId, DateTimeOffset RaisedAt, string? Source, string? Category, string Status, bool Overdue,
    IReadOnlyList<string> Agencies, IReadOnlyList<TimelineStep> Timeline);

public sealed record EscalationLogView(ChainStatus Chain, IReadOnlyList<EscalationSummary> Escalations);

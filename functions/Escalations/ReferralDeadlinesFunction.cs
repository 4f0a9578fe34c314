using Hotline.Escalations;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Escalations;

/// <summary>Timer: referrals past their acknowledgement deadline are marked, failed over and reported.</summary>
public sealed class ReferralDeadlinesFunction(ReferralDeadlines deadlines)
{
    [Function("ReferralDeadlines")]
    public Task Run([TimerTrigger("*/30 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) => deadlines.CheckAsync(cancellationToken);
}

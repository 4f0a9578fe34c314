using Hotline.Escalations;
using Hotline.Functions.Hosting;

namespace Hotline.Functions.Escalations;

/// <summary>Timer: referrals past their acknowledgement deadline are marked, failed over and reported.</summary>
public sealed class ReferralDeadlinesFunction(ReferralDeadlines deadlines) : TimerFunction
{
    public override string Name => "ReferralDeadlines";

    protected override Task HandleAsync(TimerInfo timer, CancellationToken cancellationToken) => deadlines.CheckAsync(cancellationToken);
}

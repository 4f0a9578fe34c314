namespace Hotline.Functions.Dev.CallFlow;

/// <summary>
/// The simulated call's own time in whole seconds: pauses, Gather timeouts, recordings, the Dial timeout and
/// <see cref="SimulatedCall.PassTime"/> move it on, so durations are exact and nothing waits for real.
/// </summary>
internal sealed class CallClock
{
    private long _seconds;

    public long Seconds => Interlocked.Read(ref _seconds);

    public void Advance(long seconds) => Interlocked.Add(ref _seconds, seconds);

    /// <summary>Moves to <paramref name="seconds"/> unless the clock is already past it.</summary>
    public void AdvanceTo(long seconds)
    {
        long now;
        do
        {
            now = Seconds;
            if (now >= seconds)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _seconds, seconds, now) != now);
    }
}

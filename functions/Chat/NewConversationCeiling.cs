using System.Threading.RateLimiting;

namespace Hotline.Functions.Chat;

/// <summary>
/// How many new chat conversations the hotline takes in a minute, all callers together (per running instance): a
/// flood of invented conversations from many addresses cannot fill the queue, and conversations already under way
/// are not affected.
/// </summary>
public sealed class NewConversationCeiling(int perMinute)
{
    private readonly FixedWindowRateLimiter _limiter = new(new FixedWindowRateLimiterOptions
    {
        PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0,
    });

    public bool TryAdmit()
    {
        using var lease = _limiter.AttemptAcquire();
        return lease.IsAcquired;
    }
}

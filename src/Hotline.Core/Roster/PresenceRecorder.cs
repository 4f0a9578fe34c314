using System.Collections.Concurrent;

namespace Hotline.Roster;

/// <summary>
/// Records that a counsellor was seen (their console polling), cheaply: the console asks every 2 s, but a counsellor's
/// "last seen" is written at most once per <see cref="WriteInterval"/> by this instance, so presence costs one storage
/// write per counsellor every few seconds' worth of polls, not one per poll.
/// </summary>
public sealed class PresenceRecorder(IRosterStore roster, TimeProvider time, TimeSpan window)
{
    // Last seen is written this often, so it is never staler than this; well inside the window.
    public TimeSpan WriteInterval { get; } = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(15).Ticks, window.Ticks / 4));

    private readonly ConcurrentDictionary<string, DateTimeOffset> _written = new(StringComparer.Ordinal);

    public async Task SeenAsync(string counsellorId, PresenceSource source, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var claimed = _written.TryGetValue(counsellorId, out var last)
            ? now - last >= WriteInterval && _written.TryUpdate(counsellorId, now, last)
            : _written.TryAdd(counsellorId, now);
        if (!claimed)
        {
            return; // written recently, or another request is writing it right now
        }

        try
        {
            // Someone not on the roster (a supervisor only) is simply not recorded; the throttle still spares the table.
            await roster.MarkSeenAsync(counsellorId, new Presence(now, source), cancellationToken);
        }
        catch
        {
            _written.TryRemove(new KeyValuePair<string, DateTimeOffset>(counsellorId, now)); // the next poll tries again
            throw;
        }
    }
}

using Hotline.Privacy;

namespace Hotline.Roster;

/// <summary>
/// A counsellor as the roster knows them. <see cref="Id"/> is the sign-in user id; <see cref="Capacity"/> is how many
/// open conversations they take at once.
/// </summary>
public sealed record Counsellor(
    string Id,
    string DisplayName,
    IReadOnlyList<string> Languages,
    bool OnCall,
    int Capacity)
{
    /// <summary>Languages this counsellor serves through an interpreter service the hotline contracts.</summary>
    public IReadOnlyList<string> InterpreterLanguages { get; init; } = [];

    /// <summary>Willing to bring in an interpreter for any language nobody on call speaks.</summary>
    public bool BringsInterpreter { get; init; }

    /// <summary>The supervisor on duty: last in the fallback chain.</summary>
    public bool SupervisorOnDuty { get; init; }

    /// <summary>When and how the counsellor was last seen able to take a conversation; null when never.</summary>
    public Presence? LastSeen { get; init; }

    /// <summary>
    /// Seen within <paramref name="window"/> of <paramref name="now"/>: someone is there to see an offer. "On call"
    /// is what the counsellor means to do; this is whether they can.
    /// </summary>
    public bool IsPresent(DateTimeOffset now, TimeSpan window) => LastSeen is { } seen && now - seen.At <= window;

    /// <summary>The counsellor's own phone, rung for voice calls; null when they gave none. Prints only masked.</summary>
    public StaffPhoneNumber? Phone { get; init; }

    /// <summary>
    /// Takes calls on <see cref="Phone"/> without the console open: for voice, the ringing phone is how they are
    /// reached, so they count as there while on call. Text conversations still need the console.
    /// </summary>
    public bool TakesCallsOnPhone { get; init; }

    /// <summary>
    /// Can be rung for a voice call now: has a phone, is on call, and takes calls on that phone or has the console
    /// open (seen within <paramref name="window"/>).
    /// </summary>
    public bool CanBeRung(DateTimeOffset now, TimeSpan window) =>
        Phone is not null && OnCall && (TakesCallsOnPhone || IsPresent(now, window));
}

/// <summary>How a counsellor can be seen to be there. Only the console exists today; a telephone line may follow.</summary>
public enum PresenceSource
{
    /// <summary>Their console asked the API for their conversations (it does every few seconds while open).</summary>
    Console,
}

public sealed record Presence(DateTimeOffset At, PresenceSource Source);

public interface IRosterStore
{
    Task<IReadOnlyList<Counsellor>> ListAsync(CancellationToken cancellationToken = default);

    Task<Counsellor?> FindAsync(string counsellorId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates or replaces the counsellor's roster entry (when they were last seen is kept). The phone and
    /// take-calls-on-phone are written when the entry carries a phone, and kept otherwise: they change through
    /// <see cref="SetPhoneAsync"/>.
    /// </summary>
    Task SaveAsync(Counsellor counsellor, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets the counsellor's phone and whether they take calls on it without the console, or clears both
    /// (<paramref name="phone"/> null: take-calls-on-phone is then off); false when the counsellor is not on the roster.
    /// </summary>
    Task<bool> SetPhoneAsync(string counsellorId, StaffPhoneNumber? phone, bool takesCallsOnPhone, CancellationToken cancellationToken = default);

    /// <summary>Changes only the on-call state; false when the counsellor is not on the roster.</summary>
    Task<bool> SetOnCallAsync(string counsellorId, bool onCall, CancellationToken cancellationToken = default);

    /// <summary>Records when the counsellor was last seen; false when they are not on the roster.</summary>
    Task<bool> MarkSeenAsync(string counsellorId, Presence presence, CancellationToken cancellationToken = default);
}

namespace Hotline.Roster;

/// <summary>A counsellor as the roster knows them. <see cref="Id"/> is the sign-in user id.</summary>
public sealed record Counsellor(
    string Id,
    string DisplayName,
    IReadOnlyList<string> Languages,
    bool OnCall,
    int Capacity);

public interface IRosterStore
{
    Task<IReadOnlyList<Counsellor>> ListAsync(CancellationToken cancellationToken = default);

    Task<Counsellor?> FindAsync(string counsellorId, CancellationToken cancellationToken = default);

    /// <summary>Creates or replaces the counsellor's roster entry.</summary>
    Task SaveAsync(Counsellor counsellor, CancellationToken cancellationToken = default);

    /// <summary>Changes only the on-call state; false when the counsellor is not on the roster.</summary>
    Task<bool> SetOnCallAsync(string counsellorId, bool onCall, CancellationToken cancellationToken = default);
}

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
}

public interface IRosterStore
{
    Task<IReadOnlyList<Counsellor>> ListAsync(CancellationToken cancellationToken = default);

    Task<Counsellor?> FindAsync(string counsellorId, CancellationToken cancellationToken = default);

    /// <summary>Creates or replaces the counsellor's roster entry.</summary>
    Task SaveAsync(Counsellor counsellor, CancellationToken cancellationToken = default);

    /// <summary>Changes only the on-call state; false when the counsellor is not on the roster.</summary>
    Task<bool> SetOnCallAsync(string counsellorId, bool onCall, CancellationToken cancellationToken = default);
}

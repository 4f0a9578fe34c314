namespace Hotline.Secrets;

/// <summary>
/// Where the hotline's keys and credentials live: Key Vault in Azure, a git-ignored file locally.
/// Callers ask by name on every use and never keep a value, so a rotated secret is picked up.
/// </summary>
public interface ISecretStore
{
    /// <exception cref="SecretNotFoundException">No secret of that name exists.</exception>
    ValueTask<string> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Makes one round trip to the store, bypassing any cache, to prove it is reachable.</summary>
    Task ProbeAsync(CancellationToken cancellationToken = default);
}

public sealed class SecretNotFoundException(string name)
    : Exception($"The secret '{name}' does not exist in the secret store.")
{
    public string SecretName { get; } = name;
}

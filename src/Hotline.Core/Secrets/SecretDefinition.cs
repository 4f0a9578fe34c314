namespace Hotline.Secrets;

/// <summary>
/// A secret the hotline knows about. <paramref name="Name"/> is its name in Key Vault (letters, digits and dashes).
/// <paramref name="OverrideSetting"/> is the configuration key that may supply it locally
/// (e.g. <c>Twilio:AuthToken</c>, set as the environment variable <c>Twilio__AuthToken</c>).
/// When <paramref name="GeneratedBytes"/> is above zero, a local store creates a random value of that many bytes on
/// first use, so a developer never has to invent keys.
/// </summary>
public sealed record SecretDefinition(string Name, string? OverrideSetting = null, int GeneratedBytes = 0)
{
    public bool IsGenerated => GeneratedBytes > 0;
}

using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Hotline.Callbacks;
using Hotline.Secrets;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hotline.Functions.Configuration;

public static class CallbackSecretsRegistration
{
    public const string VaultUriKey = "Callbacks:VaultUri";

    /// <summary>
    /// Registers <see cref="ICallbackSecrets"/> with the same provider as the app's other secrets: with Key Vault, a
    /// vault of its own named by <c>Callbacks__VaultUri</c> (required, with no fallback to <c>Secrets__VaultUri</c>:
    /// that vault may keep purge protection, under which callers' numbers could not be purged, and the app should not
    /// hold the right to purge its own keys); locally, <c>dev-callbacks.json</c> next to the local secrets file.
    /// Throws <see cref="StartupSettingException"/> naming the setting when it is missing or malformed. A host (or a
    /// test) may register a store of its own first.
    /// </summary>
    public static IServiceCollection AddCallbackSecrets(
        this IServiceCollection services,
        IConfiguration configuration,
        SecretsSettings secrets,
        Action<SecretClientOptions>? configureClient = null)
    {
        if (secrets.Provider == SecretsProvider.KeyVault)
        {
            var vaultUri = new SettingReader(configuration).RequiredHttpsUri(VaultUriKey);
            if (secrets.VaultUri is not null && SameVault(vaultUri, secrets.VaultUri))
            {
                throw new StartupSettingException(
                    $"Setting '{SettingReader.DisplayName(VaultUriKey)}' names the same vault as 'Secrets__VaultUri': " +
                    "callers' numbers need a second vault, without purge protection.");
            }

            services.TryAddSingleton<ICallbackSecrets>(sp =>
            {
                var options = new SecretClientOptions();
                configureClient?.Invoke(options);
                var credential = sp.GetService<Azure.Core.TokenCredential>() ?? new DefaultAzureCredential();
                return new KeyVaultCallbackSecrets(
                    new SecretClient(vaultUri, credential, options),
                    SettingReader.DisplayName(VaultUriKey),
                    sp.GetRequiredService<ILogger<KeyVaultCallbackSecrets>>(),
                    sp.GetService<CallbackSecretsTiming>());
            });
        }
        else
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(secrets.LocalFile))!;
            services.TryAddSingleton<ICallbackSecrets>(new LocalFileCallbackSecrets(Path.Combine(folder, "dev-callbacks.json")));
        }

        return services;
    }

    private static bool SameVault(Uri a, Uri b) =>
        string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;
}

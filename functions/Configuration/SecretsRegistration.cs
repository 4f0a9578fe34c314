using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Hotline.Secrets;

namespace Hotline.Functions.Configuration;

public static class SecretsRegistration
{
    /// <summary>
    /// Registers the one <see cref="ISecretStore"/>: Key Vault with the app's managed identity, or the local file.
    /// Features declare the secrets they use with <see cref="AddSecret"/>.
    /// </summary>
    public static IServiceCollection AddHotlineSecrets(
        this IServiceCollection services, SecretsSettings settings, Action<SecretClientOptions>? configureClient = null)
    {
        if (settings.Provider == SecretsProvider.KeyVault)
        {
            services.AddSingleton<ISecretStore>(sp =>
            {
                var options = new SecretClientOptions();
                configureClient?.Invoke(options);
                var credential = sp.GetService<Azure.Core.TokenCredential>() ?? new DefaultAzureCredential();
                return new KeyVaultSecretStore(
                    new SecretClient(settings.VaultUri!, credential, options),
                    settings.RefreshInterval,
                    sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<ILogger<KeyVaultSecretStore>>());
            });
        }
        else
        {
            services.AddSingleton<ISecretStore>(sp => new LocalFileSecretStore(
                settings.LocalFile,
                sp.GetRequiredService<IConfiguration>(),
                sp.GetServices<SecretDefinition>()));
        }

        return services;
    }

    public static IServiceCollection AddSecret(this IServiceCollection services, SecretDefinition definition) =>
        services.AddSingleton(definition);
}

using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace Hotline.Storage;

/// <summary>
/// The storage account the hotline keeps its tables and queues in, read from the same setting the Functions host
/// uses (<c>AzureWebJobsStorage</c>): a connection string locally (Azurite), or an identity-based connection in Azure
/// (<c>AzureWebJobsStorage__accountName</c>, or <c>__queueServiceUri</c> and <c>__tableServiceUri</c>, optionally
/// <c>__clientId</c> for a user-assigned managed identity). No account key is needed in Azure.
/// </summary>
public sealed class StorageAccount
{
    public const string SettingName = "AzureWebJobsStorage";

    private readonly Func<QueueClientOptions, QueueServiceClient> _queueServiceFactory;
    private readonly HttpPipelinePolicy? _extraPolicy;

    private StorageAccount(
        Func<QueueClientOptions, QueueServiceClient> queueServiceFactory,
        TableServiceClient tables,
        HttpPipelinePolicy? extraPolicy)
    {
        _queueServiceFactory = queueServiceFactory;
        _extraPolicy = extraPolicy;
        Queues = queueServiceFactory(NewQueueOptions(QueueMessageEncoding.Base64));
        Tables = tables;
    }

    public QueueServiceClient Queues { get; }

    public TableServiceClient Tables { get; }

    public QueueClient Queue(string name) => Queues.GetQueueClient(name);

    public TableClient Table(string name) => Tables.GetTableClient(name);

    /// <summary>
    /// A queue client with its own options (message encoding, decoding-failure handler), on the same account and
    /// credential as <see cref="Queues"/>.
    /// </summary>
    public QueueClient Queue(string name, QueueClientOptions options) =>
        _queueServiceFactory(options).GetQueueClient(name);

    /// <summary>Options for a queue client, with the account's extra pipeline policy already added.</summary>
    public QueueClientOptions NewQueueOptions(QueueMessageEncoding encoding)
    {
        var options = new QueueClientOptions { MessageEncoding = encoding };
        if (_extraPolicy is not null)
        {
            options.AddPolicy(_extraPolicy, HttpPipelinePosition.PerRetry);
        }

        return options;
    }

    /// <summary>
    /// Builds the clients. <paramref name="extraPolicy"/> is added to every request pipeline (used to count storage
    /// transactions in benchmarks). Throws <see cref="StorageSettingException"/> naming the setting when it is
    /// missing or malformed.
    /// </summary>
    public static StorageAccount FromConfiguration(IConfiguration configuration, HttpPipelinePolicy? extraPolicy = null)
    {
        var tableOptions = new TableClientOptions();
        if (extraPolicy is not null)
        {
            tableOptions.AddPolicy(extraPolicy, HttpPipelinePosition.PerRetry);
        }

        var connectionString = configuration[SettingName];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            try
            {
                var tables = new TableServiceClient(connectionString, tableOptions);
                _ = new QueueServiceClient(connectionString); // validates the string once, here
                return new StorageAccount(
                    options => new QueueServiceClient(connectionString, options), tables, extraPolicy);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                // Never echo the value: it may hold an account key.
                throw new StorageSettingException(
                    $"Setting '{SettingName}' is malformed: it is not a storage connection string.");
            }
        }

        var section = configuration.GetSection(SettingName);
        var accountName = section["accountName"];
        var queueUri = ParseUri(section, "queueServiceUri")
            ?? (accountName is null ? null : new Uri($"https://{accountName}.queue.core.windows.net"));
        var tableUri = ParseUri(section, "tableServiceUri")
            ?? (accountName is null ? null : new Uri($"https://{accountName}.table.core.windows.net"));

        if (queueUri is null || tableUri is null)
        {
            throw new StorageSettingException(
                $"Missing required setting '{SettingName}': set a connection string, or " +
                $"'{SettingName}__accountName' for a managed-identity connection.");
        }

        var clientId = section["clientId"];
        TokenCredential credential = string.IsNullOrWhiteSpace(clientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));

        return new StorageAccount(
            options => new QueueServiceClient(queueUri, credential, options),
            new TableServiceClient(tableUri, credential, tableOptions),
            extraPolicy);
    }

    private static Uri? ParseUri(IConfigurationSection section, string key)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new StorageSettingException(
                $"Setting '{SettingName}__{key}' is malformed: expected an absolute https URI.");
        }

        return uri;
    }
}

public sealed class StorageSettingException(string message) : Exception(message);

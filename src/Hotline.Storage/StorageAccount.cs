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
    private readonly Lazy<QueueServiceClient> _queues;
    private readonly Lazy<TableServiceClient> _tables;

    // Clients are created on first use: building them loads the Azure SDK, which would otherwise delay the first
    // answer to the Functions host's readiness probe.
    private StorageAccount(
        Func<QueueClientOptions, QueueServiceClient> queueServiceFactory,
        Func<TableClientOptions, TableServiceClient> tableServiceFactory,
        HttpPipelinePolicy? extraPolicy)
    {
        _queueServiceFactory = queueServiceFactory;
        _extraPolicy = extraPolicy;
        _queues = new(() => queueServiceFactory(NewQueueOptions(QueueMessageEncoding.Base64)));
        _tables = new(() =>
        {
            var options = new TableClientOptions();
            if (extraPolicy is not null)
            {
                options.AddPolicy(extraPolicy, HttpPipelinePosition.PerRetry);
            }

            return tableServiceFactory(options);
        });
    }

    public QueueServiceClient Queues => _queues.Value;

    public TableServiceClient Tables => _tables.Value;

    public QueueClient Queue(string name) => Queues.GetQueueClient(name);

    /// <summary>
    /// Prepended to every table name (<c>Storage__TablePrefix</c>), so several hotlines, or test runs, can share
    /// one account without seeing each other's data.
    /// </summary>
    public string TablePrefix { get; private set; } = string.Empty;

    public TableClient Table(string name) => Tables.GetTableClient(TablePrefix + name);

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
        var prefix = configuration["Storage:TablePrefix"] ?? string.Empty;
        if (prefix.Length > 20 || !prefix.All(char.IsAsciiLetterOrDigit) || (prefix.Length > 0 && !char.IsAsciiLetter(prefix[0])))
        {
            throw new StorageSettingException(
                "Setting 'Storage__TablePrefix' is malformed: up to 20 letters and digits, starting with a letter.");
        }

        var account = Create(configuration, extraPolicy);
        account.TablePrefix = prefix;
        return account;
    }

    private static StorageAccount Create(IConfiguration configuration, HttpPipelinePolicy? extraPolicy)
    {
        var connectionString = configuration[SettingName];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            if (!LooksLikeConnectionString(connectionString))
            {
                // Never echo the value: it may hold an account key.
                throw new StorageSettingException(
                    $"Setting '{SettingName}' is malformed: it is not a storage connection string.");
            }

            return new StorageAccount(
                options => new QueueServiceClient(connectionString, options),
                options => new TableServiceClient(connectionString, options),
                extraPolicy);
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
        var credential = new Lazy<TokenCredential>(() => string.IsNullOrWhiteSpace(clientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId)));

        return new StorageAccount(
            options => new QueueServiceClient(queueUri, credential.Value, options),
            options => new TableServiceClient(tableUri, credential.Value, options),
            extraPolicy);
    }

    /// <summary>
    /// A cheap shape check (key=value pairs naming an account or endpoints), so a typo stops startup without
    /// loading the SDK to parse the string.
    /// </summary>
    private static bool LooksLikeConnectionString(string value)
    {
        var parts = value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0 || parts.Any(p => p.IndexOf('=', StringComparison.Ordinal) <= 0))
        {
            return false;
        }

        var keys = parts.Select(p => p[..p.IndexOf('=', StringComparison.Ordinal)])
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        return keys.Contains("UseDevelopmentStorage") || keys.Contains("AccountName")
            || keys.Contains("QueueEndpoint") || keys.Contains("TableEndpoint");
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

using System.Text.Json;
using System.Text.Json.Nodes;

namespace LocalFunctionsHost;

/// <summary>The parts of the app's host.json the local host acts on, with the Functions host's defaults.</summary>
public sealed record HostJson
{
    public string RoutePrefix { get; init; } = "api";

    public QueueSettings Queues { get; init; } = new();

    /// <summary>null: no limit (the local default of the real host is 30 minutes on Consumption, none on Premium).</summary>
    public TimeSpan? FunctionTimeout { get; init; }

    public static HostJson Load(string scriptRoot)
    {
        var path = Path.Combine(scriptRoot, "host.json");
        if (!File.Exists(path))
        {
            throw new HostStartupException($"{path} does not exist: --script-root must name a built or published app.");
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path),
                documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new HostStartupException($"{path} is not valid JSON: {e.Message}");
        }

        var extensions = root?["extensions"];
        var queues = extensions?["queues"];
        var defaults = new QueueSettings();
        return new HostJson
        {
            RoutePrefix = (extensions?["http"]?["routePrefix"]?.GetValue<string>() ?? "api").Trim('/'),
            FunctionTimeout = Duration(root?["functionTimeout"], path, "functionTimeout"),
            Queues = new QueueSettings
            {
                MaxPollingInterval = Duration(queues?["maxPollingInterval"], path, "maxPollingInterval") ?? defaults.MaxPollingInterval,
                VisibilityTimeout = Duration(queues?["visibilityTimeout"], path, "visibilityTimeout") ?? defaults.VisibilityTimeout,
                BatchSize = queues?["batchSize"]?.GetValue<int>() ?? defaults.BatchSize,
                NewBatchThreshold = queues?["newBatchThreshold"]?.GetValue<int>()
                    ?? (queues?["batchSize"]?.GetValue<int>() is { } batch ? batch / 2 : defaults.NewBatchThreshold),
                MaxDequeueCount = queues?["maxDequeueCount"]?.GetValue<int>() ?? defaults.MaxDequeueCount,
                Base64Encoding = !string.Equals(queues?["messageEncoding"]?.GetValue<string>(), "none", StringComparison.OrdinalIgnoreCase),
            },
        };
    }

    private static TimeSpan? Duration(JsonNode? node, string path, string name)
    {
        if (node is null)
        {
            return null;
        }

        var text = node.GetValue<string>();
        if (text == "-1")
        {
            return null; // unlimited
        }

        return TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new HostStartupException($"{path}: {name} '{text}' is not a time span (hh:mm:ss).");
    }
}

/// <summary>host.json <c>extensions.queues</c>; defaults as the Functions host has them outside Azure.</summary>
public sealed record QueueSettings
{
    public TimeSpan MaxPollingInterval { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.Zero;

    public int BatchSize { get; init; } = 16;

    public int NewBatchThreshold { get; init; } = 8;

    public int MaxDequeueCount { get; init; } = 5;

    public bool Base64Encoding { get; init; } = true;
}

/// <summary>A problem that stops the host from starting; its message is the one line the user sees.</summary>
public sealed class HostStartupException(string message) : Exception(message);

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hotline.Functions.Hosting;

/// <summary>
/// host.json and every function.json, read the way the Functions host reads them. The source tree keeps function
/// folders under <c>functions/</c>; the deployed package has them at its root. Both layouts load.
/// </summary>
public sealed class FunctionCatalog
{
    private static readonly JsonDocumentOptions JsonOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private FunctionCatalog(string root, HostManifest host, IReadOnlyList<FunctionDefinition> functions)
    {
        Root = root;
        Host = host;
        Functions = functions;
    }

    public string Root { get; }

    public HostManifest Host { get; }

    public IReadOnlyList<FunctionDefinition> Functions { get; }

    public FunctionDefinition? Find(string name) =>
        Functions.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    public static FunctionCatalog Load(string root)
    {
        var hostPath = Path.Combine(root, "host.json");
        var host = HostManifest.Parse(ReadObject(hostPath));

        var functionsFolder = Path.Combine(root, "functions");
        var searchRoot = Directory.Exists(functionsFolder) ? functionsFolder : root;
        var functions = Directory.EnumerateDirectories(searchRoot)
            .Select(dir => (dir, file: Path.Combine(dir, "function.json")))
            .Where(x => File.Exists(x.file))
            .Select(x => FunctionDefinition.Parse(Path.GetFileName(x.dir), ReadObject(x.file)))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();

        return new FunctionCatalog(root, host, functions);
    }

    private static JsonObject ReadObject(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path), documentOptions: JsonOptions) as JsonObject
                ?? throw new FunctionCatalogException($"{path} is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new FunctionCatalogException($"{path} is not valid JSON: {e.Message}");
        }
    }
}

public sealed class FunctionCatalogException(string message) : Exception(message);

/// <summary>The parts of host.json the local host honours.</summary>
public sealed record HostManifest(QueueTriggerSettings Queues, string RoutePrefix, TimeSpan FunctionTimeout)
{
    public static HostManifest Parse(JsonObject json)
    {
        var queues = json["extensions"]?["queues"] as JsonObject;
        var batchSize = ReadInt(queues, "batchSize") ?? 16;
        var settings = new QueueTriggerSettings(
            MaxPollingInterval: ReadTime(queues, "maxPollingInterval") ?? TimeSpan.FromMinutes(1),
            VisibilityTimeout: ReadTime(queues, "visibilityTimeout") ?? TimeSpan.Zero,
            BatchSize: batchSize,
            NewBatchThreshold: ReadInt(queues, "newBatchThreshold") ?? batchSize / 2,
            MaxDequeueCount: ReadInt(queues, "maxDequeueCount") ?? 5,
            Base64Encoding: !string.Equals(
                queues?["messageEncoding"]?.GetValue<string>(), "none", StringComparison.OrdinalIgnoreCase));

        var routePrefix = json["extensions"]?["http"]?["routePrefix"]?.GetValue<string>() ?? "api";
        var timeout = ReadTime(json, "functionTimeout") ?? TimeSpan.FromMinutes(10);
        return new HostManifest(settings, routePrefix, timeout);
    }

    private static int? ReadInt(JsonObject? obj, string key) => obj?[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.TryGetValue<string>(out var s) && int.TryParse(s, CultureInfo.InvariantCulture, out var i) => i,
        _ => throw new FunctionCatalogException($"host.json: '{key}' must be a whole number."),
    };

    private static TimeSpan? ReadTime(JsonObject? obj, string key)
    {
        if (obj?[key] is not JsonValue value)
        {
            return null;
        }

        return value.TryGetValue<string>(out var s) && TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var t)
            ? t
            : throw new FunctionCatalogException($"host.json: '{key}' must be a duration such as 00:00:30.");
    }
}

/// <summary>Queue trigger behaviour from host.json <c>extensions.queues</c>, with the Functions defaults.</summary>
public sealed record QueueTriggerSettings(
    TimeSpan MaxPollingInterval,
    TimeSpan VisibilityTimeout,
    int BatchSize,
    int NewBatchThreshold,
    int MaxDequeueCount,
    bool Base64Encoding);

public sealed record FunctionDefinition(string Name, IReadOnlyList<BindingDefinition> Bindings)
{
    public BindingDefinition? Trigger =>
        Bindings.FirstOrDefault(b => b.Direction == "in" && b.Type.EndsWith("Trigger", StringComparison.Ordinal));

    public bool IsHttp => Trigger?.Type == BindingDefinition.HttpTrigger;

    public static FunctionDefinition Parse(string name, JsonObject json)
    {
        if (json["bindings"] is not JsonArray bindings || bindings.Count == 0)
        {
            throw new FunctionCatalogException($"functions/{name}/function.json has no bindings.");
        }

        var parsed = bindings.Select(b => BindingDefinition.Parse(name, b as JsonObject)).ToList();
        var definition = new FunctionDefinition(name, parsed);
        if (definition.Trigger is null)
        {
            throw new FunctionCatalogException($"functions/{name}/function.json has no trigger binding.");
        }

        return definition;
    }
}

public sealed record BindingDefinition(
    string Type,
    string Direction,
    string Name,
    string? QueueName,
    string? Connection,
    string? Schedule,
    string? Route,
    IReadOnlyList<string> Methods,
    string? AuthLevel)
{
    public const string HttpTrigger = "httpTrigger";
    public const string QueueTrigger = "queueTrigger";
    public const string TimerTrigger = "timerTrigger";

    public static BindingDefinition Parse(string function, JsonObject? json)
    {
        if (json is null)
        {
            throw new FunctionCatalogException($"functions/{function}/function.json: a binding is not an object.");
        }

        string? Read(string key) => json[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        string Required(string key) => Read(key)
            ?? throw new FunctionCatalogException($"functions/{function}/function.json: a binding lacks '{key}'.");

        var methods = json["methods"] is JsonArray m
            ? m.Select(x => x!.GetValue<string>().ToUpperInvariant()).ToList()
            : [];

        return new BindingDefinition(
            Required("type"), Required("direction"), Required("name"),
            Read("queueName"), Read("connection"), Read("schedule"), Read("route"), methods, Read("authLevel"));
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using LocalFunctionsHost.Protocol;

namespace LocalFunctionsHost;

/// <summary>A function as the worker described it (worker indexing), with its bindings.</summary>
public sealed class FunctionDefinition
{
    private FunctionDefinition(RpcFunctionMetadata metadata, IReadOnlyList<Binding> bindings)
    {
        Metadata = metadata;
        Bindings = bindings;
        Trigger = bindings.FirstOrDefault(b => b.Type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase)
            && b.Direction == BindingInfo.Types.Direction.In);
    }

    public string Name => Metadata.Name;

    public string FunctionId => Metadata.FunctionId;

    public RpcFunctionMetadata Metadata { get; }

    public IReadOnlyList<Binding> Bindings { get; }

    public Binding? Trigger { get; }

    public static FunctionDefinition From(RpcFunctionMetadata metadata)
    {
        var bindings = metadata.RawBindings.Select(raw => Binding.Parse(metadata.Name, raw)).ToList();
        return new FunctionDefinition(metadata, bindings);
    }

    /// <summary>What the host sends in FunctionLoadRequest: the metadata with its bindings as BindingInfo.</summary>
    public FunctionLoadRequest ToLoadRequest(string scriptRoot)
    {
        var metadata = new RpcFunctionMetadata
        {
            Name = Metadata.Name,
            FunctionId = Metadata.FunctionId,
            Directory = string.IsNullOrEmpty(Metadata.Directory) ? scriptRoot : Metadata.Directory,
            ScriptFile = Metadata.ScriptFile,
            EntryPoint = Metadata.EntryPoint,
            Language = Metadata.Language,
            IsProxy = false,
        };
        metadata.Properties.Add(Metadata.Properties);
        foreach (var binding in Bindings)
        {
            var info = new BindingInfo { Type = binding.Type, Direction = binding.Direction, DataType = binding.DataType };
            foreach (var (key, value) in binding.Properties)
            {
                info.Properties.Add(key, value);
            }

            metadata.Bindings.Add(binding.Name, info);
        }

        return new FunctionLoadRequest { FunctionId = Metadata.FunctionId, Metadata = metadata };
    }

    public override string ToString() => Name;
}

/// <summary>One binding of a function, from the raw JSON the worker sends.</summary>
public sealed record Binding(
    string Name,
    string Type,
    BindingInfo.Types.Direction Direction,
    BindingInfo.Types.DataType DataType,
    JsonObject Json,
    IReadOnlyDictionary<string, string> Properties)
{
    public const string HttpTrigger = "httpTrigger";
    public const string QueueTrigger = "queueTrigger";
    public const string TimerTrigger = "timerTrigger";

    public string? this[string key] =>
        Json.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase)).Value is JsonValue v
            ? v.ToString()
            : null;

    public IReadOnlyList<string> Methods =>
        Json.FirstOrDefault(p => string.Equals(p.Key, "methods", StringComparison.OrdinalIgnoreCase)).Value is JsonArray a
            ? a.Select(m => m!.GetValue<string>().ToUpperInvariant()).ToList()
            : [];

    public bool Is(string type) => string.Equals(Type, type, StringComparison.OrdinalIgnoreCase);

    public static Binding Parse(string functionName, string raw)
    {
        JsonObject json;
        try
        {
            json = JsonNode.Parse(raw) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            throw new HostStartupException($"Function {functionName}: a binding is not valid JSON ({e.Message}).");
        }

        string Get(string key) =>
            json.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase)).Value?.ToString() ?? "";

        var direction = Get("direction").ToUpperInvariant() switch
        {
            "OUT" => BindingInfo.Types.Direction.Out,
            "INOUT" => BindingInfo.Types.Direction.Inout,
            _ => BindingInfo.Types.Direction.In,
        };
        var dataType = Get("dataType").ToUpperInvariant() switch
        {
            "STRING" => BindingInfo.Types.DataType.String,
            "BINARY" => BindingInfo.Types.DataType.Binary,
            "STREAM" => BindingInfo.Types.DataType.Stream,
            _ => BindingInfo.Types.DataType.Undefined,
        };
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (json.FirstOrDefault(p => string.Equals(p.Key, "properties", StringComparison.OrdinalIgnoreCase)).Value is JsonObject props)
        {
            foreach (var (key, value) in props)
            {
                properties[key] = value?.ToString() ?? "";
            }
        }

        return new Binding(Get("name"), Get("type"), direction, dataType, json, properties);
    }
}

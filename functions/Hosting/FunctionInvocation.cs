using System.Globalization;
using System.Text.Json;

namespace Hotline.Functions.Hosting;

/// <summary>
/// One non-HTTP invocation as the Functions host delivers it: <c>POST /{FunctionName}</c> with
/// <c>{ "Data": {...}, "Metadata": {...} }</c>. Values are read defensively because the real host JSON-serializes
/// strings a second time (a queue message can arrive wrapped in an extra pair of quotes) and sends numbers as
/// strings.
/// </summary>
public sealed class FunctionInvocation
{
    private readonly List<string> _logs = [];

    public FunctionInvocation(
        string functionName,
        string invocationId,
        IReadOnlyDictionary<string, JsonElement> data,
        IReadOnlyDictionary<string, JsonElement> metadata,
        string? triggerBinding)
    {
        FunctionName = functionName;
        InvocationId = invocationId;
        Data = data;
        Metadata = metadata;
        TriggerBinding = triggerBinding;
    }

    public string FunctionName { get; }

    public string InvocationId { get; }

    public IReadOnlyDictionary<string, JsonElement> Data { get; }

    public IReadOnlyDictionary<string, JsonElement> Metadata { get; }

    /// <summary>The trigger binding's name from function.json, when the catalog knows the function.</summary>
    public string? TriggerBinding { get; }

    /// <summary>Lines returned to the host in <c>Logs</c>; they are scrubbed like every other log line.</summary>
    public IReadOnlyList<string> Logs => _logs;

    public void Log(string line) => _logs.Add(line);

    /// <summary>The trigger's value: the binding named in function.json, or the only entry in Data.</summary>
    public JsonElement? TriggerValue()
    {
        if (TriggerBinding is not null && Data.TryGetValue(TriggerBinding, out var value))
        {
            return value;
        }

        return Data.Count == 1 ? Data.Values.Single() : null;
    }

    /// <summary>A string, unwrapped from any extra layers of JSON string encoding.</summary>
    public static string? AsString(JsonElement? element)
    {
        if (element is not { } e)
        {
            return null;
        }

        switch (e.ValueKind)
        {
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return null;
            case JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Number
                or JsonValueKind.True or JsonValueKind.False:
                return e.GetRawText();
        }

        var text = e.GetString()!;
        // The host serializes a string once more: "\"hello\"". Unwrap while the text is itself a JSON string.
        for (var i = 0; i < 3 && text.Length >= 2 && text[0] == '"' && text[^1] == '"'; i++)
        {
            try
            {
                text = JsonSerializer.Deserialize<string>(text) ?? string.Empty;
            }
            catch (JsonException)
            {
                break;
            }
        }

        return text;
    }

    public string? MetadataString(string key) =>
        Metadata.TryGetValue(key, out var value) ? AsString(value) : null;

    public long? MetadataInteger(string key) =>
        MetadataString(key) is { } s && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : null;

    public DateTimeOffset? MetadataTime(string key) =>
        MetadataString(key) is { } s
        && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : null;
}

/// <summary>What a non-HTTP function returns; serialized to the host as <c>ReturnValue</c>.</summary>
public sealed record FunctionResult(object? ReturnValue = null)
{
    public static FunctionResult Done { get; } = new();
}

/// <summary>A function the Functions host invokes by name (queue and timer triggers).</summary>
public interface IFunctionHandler
{
    /// <summary>The function's folder name under functions/.</summary>
    string Name { get; }

    Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken);
}

/// <summary>The invocation did not carry what the function needs; the host will retry and then poison it.</summary>
public sealed class InvalidInvocationException(string message) : Exception(message);

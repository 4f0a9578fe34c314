using System.Text.Json;
using Hotline.Privacy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hotline.Functions.Hosting;

/// <summary>
/// The custom-handler side of the Functions host contract: the readiness probe at <c>GET /</c> and
/// <c>POST /{FunctionName}</c> for every non-HTTP function, answering <c>{ Outputs, Logs, ReturnValue }</c>.
/// A non-2xx answer fails the invocation, which makes the host retry a queue message.
/// </summary>
public static partial class InvocationEndpoints
{
    public const string InvocationIdHeader = "X-Azure-Functions-InvocationId";

    // The host reads Outputs, Logs and ReturnValue with exactly these names.
    internal static readonly JsonSerializerOptions ContractJson = new() { PropertyNamingPolicy = null };

    public static IEndpointRouteBuilder MapFunctionsHostContract(this IEndpointRouteBuilder app)
    {
        // The host polls GET / every 25 ms until it answers; answer at once, without touching storage.
        app.MapGet("/", () => TypedResults.Ok()).ExcludeFromDescription();
        // A queue message is at most 64 KiB, but the host wraps it (escaped, with metadata) in the invocation.
        app.MapPost("/{functionName}", InvokeAsync).ExcludeFromDescription().WithBodyLimit(1024 * 1024);
        return app;
    }

    internal static async Task<Results<JsonHttpResult<InvocationResponse>, ProblemHttpResult>> InvokeAsync(
        string functionName,
        HttpRequest request,
        FunctionRegistry registry,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger("Hotline.Functions.Invocation");
        var handler = registry.Find(functionName);
        if (handler is null)
        {
            return TypedResults.Problem($"No function named '{functionName}'.", statusCode: StatusCodes.Status404NotFound);
        }

        Dictionary<string, JsonElement> data, metadata;
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return BadRequest("the invocation body must be a JSON object with Data and Metadata.");
            }

            data = ReadSection(doc.RootElement, "Data");
            metadata = ReadSection(doc.RootElement, "Metadata");
        }
        catch (JsonException)
        {
            return BadRequest("the invocation body is not valid JSON.");
        }
        catch (InvalidInvocationException e)
        {
            return BadRequest(e.Message);
        }

        var invocationId = request.Headers[InvocationIdHeader].FirstOrDefault() ?? Guid.NewGuid().ToString();
        var invocation = new FunctionInvocation(
            handler.Name, invocationId, data, metadata, registry.TriggerBindingOf(handler.Name));

        try
        {
            var result = await handler.InvokeAsync(invocation, cancellationToken);
            return TypedResults.Json(
                new InvocationResponse(new Dictionary<string, object?>(), Scrub(invocation.Logs), result.ReturnValue),
                ContractJson,
                statusCode: StatusCodes.Status200OK);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogFailed(logger, e, handler.Name, invocationId);
            var logs = Scrub(invocation.Logs).Append($"Function '{handler.Name}' failed: {e.GetType().Name}").ToList();
            return TypedResults.Json(
                new InvocationResponse(new Dictionary<string, object?>(), logs, null),
                ContractJson,
                statusCode: StatusCodes.Status500InternalServerError);
        }
    }

    private static Dictionary<string, JsonElement> ReadSection(JsonElement root, string name)
    {
        var result = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
        // The host sends "Data" and "Metadata"; accept any casing rather than lose an invocation over it.
        var section = root.EnumerateObject()
            .FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Value;
        if (section.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return result;
        }

        // Tolerate a section that is itself JSON-encoded as a string.
        if (section.ValueKind == JsonValueKind.String)
        {
            var inner = FunctionInvocation.AsString(section);
            section = string.IsNullOrEmpty(inner) ? default : JsonDocument.Parse(inner).RootElement;
            if (section.ValueKind == JsonValueKind.Undefined)
            {
                return result;
            }
        }

        if (section.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidInvocationException($"'{name}' must be a JSON object.");
        }

        foreach (var property in section.EnumerateObject())
        {
            result[property.Name] = property.Value.Clone();
        }

        return result;
    }

    private static List<string> Scrub(IEnumerable<string> lines) =>
        lines.Select(SensitiveDataScrubber.Scrub).ToList();

    private static ProblemHttpResult BadRequest(string reason) =>
        TypedResults.Problem($"Malformed invocation: {reason}", statusCode: StatusCodes.Status400BadRequest);

    [LoggerMessage(Level = LogLevel.Error, Message = "Function {FunctionName} failed (invocation {InvocationId})")]
    private static partial void LogFailed(ILogger logger, Exception exception, string functionName, string invocationId);
}

/// <summary>The host's expected answer. Outputs stay empty: the app writes queues with the SDK, not bindings.</summary>
public sealed record InvocationResponse(
    IReadOnlyDictionary<string, object?> Outputs,
    IReadOnlyList<string> Logs,
    object? ReturnValue);

using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Hosting.Server;

namespace Hotline.Functions.Hosting.Local;

/// <summary>
/// Calls this app's own <c>POST /{FunctionName}</c> over loopback HTTP with the payload the Azure Functions host
/// would send, quirks included (strings JSON-encoded twice, integers as strings), so function code cannot tell
/// whether Azure or the local host invoked it.
/// </summary>
public sealed partial class LocalInvoker(
    IHttpClientFactory httpClientFactory,
    IServer server,
    TimeProvider timeProvider,
    ILogger<LocalInvoker> logger)
{
    public const string HttpClientName = "local-functions-host";

    public Task<bool> InvokeQueueAsync(FunctionDefinition function, QueueMessage message, CancellationToken ct)
    {
        var data = new JsonObject
        {
            // The host serializes the message string once more, as JsonConvert.SerializeObject(string) would.
            [function.Trigger!.Name] = JsonSerializer.Serialize(message.Body.ToString()),
        };
        var metadata = new JsonObject
        {
            ["DequeueCount"] = message.DequeueCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Id"] = JsonSerializer.Serialize(message.MessageId),
            ["PopReceipt"] = JsonSerializer.Serialize(message.PopReceipt),
            ["InsertionTime"] = JsonSerializer.Serialize(message.InsertedOn),
            ["ExpirationTime"] = JsonSerializer.Serialize(message.ExpiresOn),
            ["NextVisibleTime"] = JsonSerializer.Serialize(message.NextVisibleOn),
            ["sys"] = SystemMetadata(function.Name),
        };
        return InvokeAsync(function.Name, data, metadata, ct);
    }

    public Task<bool> InvokeTimerAsync(
        FunctionDefinition function, DateTimeOffset? last, DateTimeOffset next, bool isPastDue, CancellationToken ct)
    {
        var timerInfo = new JsonObject
        {
            ["Schedule"] = new JsonObject { ["AdjustForDST"] = true },
            ["ScheduleStatus"] = new JsonObject
            {
                ["Last"] = last?.ToString("O"),
                ["Next"] = next.ToString("O"),
                ["LastUpdated"] = timeProvider.GetUtcNow().ToString("O"),
            },
            ["IsPastDue"] = isPastDue,
        };
        var data = new JsonObject { [function.Trigger!.Name] = timerInfo };
        var metadata = new JsonObject { ["sys"] = SystemMetadata(function.Name) };
        return InvokeAsync(function.Name, data, metadata, ct);
    }

    private JsonObject SystemMetadata(string functionName) => new()
    {
        ["MethodName"] = functionName,
        ["UtcNow"] = timeProvider.GetUtcNow().ToString("O"),
        ["RandGuid"] = Guid.NewGuid().ToString(),
    };

    private async Task<bool> InvokeAsync(string functionName, JsonObject data, JsonObject metadata, CancellationToken ct)
    {
        var invocationId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(SelfAddress.Of(server), functionName))
        {
            Content = JsonContent.Create(new JsonObject { ["Data"] = data, ["Metadata"] = metadata }),
        };
        request.Headers.Add(InvocationEndpoints.InvocationIdHeader, invocationId);

        try
        {
            using var response = await httpClientFactory.CreateClient(HttpClientName).SendAsync(request, ct);
            await ForwardLogsAsync(functionName, response, ct);
            if (!response.IsSuccessStatusCode)
            {
                LogInvocationFailed(functionName, invocationId, (int)response.StatusCode);
            }

            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException e)
        {
            LogInvocationUnreachable(e, functionName, invocationId);
            return false;
        }
    }

    // The real host writes the handler's Logs to its own log; so does the local host.
    private async Task ForwardLogsAsync(string functionName, HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var body = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
            if (body?["Logs"] is JsonArray lines)
            {
                foreach (var line in lines)
                {
                    LogFunctionLine(functionName, line?.ToString() ?? string.Empty);
                }
            }
        }
        catch (JsonException)
        {
            // Not a contract answer (e.g. a 404 problem document); nothing to forward.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Function {FunctionName} failed (invocation {InvocationId}, status {Status})")]
    private partial void LogInvocationFailed(string functionName, string invocationId, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Function {FunctionName} could not be reached (invocation {InvocationId})")]
    private partial void LogInvocationUnreachable(Exception e, string functionName, string invocationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "[{FunctionName}] {Line}")]
    private partial void LogFunctionLine(string functionName, string line);
}

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace LocalFunctionsHost.SampleApp;

/// <summary>What the queue and timer functions saw, for tests that run the app in-process.</summary>
public sealed class Recorder
{
    public ConcurrentQueue<QueueDelivery> Deliveries { get; } = new();

    public ConcurrentQueue<Azure.Storage.Queues.Models.QueueMessage> Messages { get; } = new();

    public ConcurrentQueue<TimerRun> TimerRuns { get; } = new();

    /// <summary>Set by a test to keep timer runs going until it completes the source.</summary>
    public TaskCompletionSource? TimerHold { get; set; }

    public int TimerRunning;

    public int TimerOverlaps;
}

public sealed record QueueDelivery(string Message, long DequeueCount, IReadOnlyDictionary<string, string> Metadata, bool Succeeded);

public sealed record TimerRun(TimerInfo Info, string RawInfo, DateTimeOffset At);

public sealed class HttpFunctions
{
    [Function("Echo")]
    public static async Task<IActionResult> Echo(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", Route = "echo/{*rest}")] HttpRequest request,
        FunctionContext context)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        return new OkObjectResult(new
        {
            method = request.Method,
            path = request.Path.Value,
            query = request.QueryString.Value,
            body,
            invocationId = context.InvocationId,
            invocationHeader = request.Headers["x-ms-invocation-id"].ToString(),
            // The worker applies X-Forwarded-* (UseForwardedHeaders): these are the public request's.
            host = request.Host.Value,
            scheme = request.Scheme,
            remoteIp = request.HttpContext.Connection.RemoteIpAddress?.ToString(),
            // What UseForwardedHeaders replaced: the proxy's own Host (the worker's address).
            originalHost = request.Headers["X-Original-Host"].ToString(),
            processId = Environment.ProcessId,
        });
    }

    [Function("Item")]
    public static IActionResult Item(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "items/{id:int}")] HttpRequest request, int id) =>
        new OkObjectResult(new { id, path = request.Path.Value });
}

public sealed class QueueFunctions(Recorder recorder)
{
    /// <summary>Fails for messages containing "fail", and for "flaky" ones on their first attempt.</summary>
    [Function("Orders")]
    public void Orders([QueueTrigger("%SampleQueue%")] string message, FunctionContext context)
    {
        var metadata = context.BindingContext.BindingData
            .ToDictionary(p => p.Key, p => p.Value?.ToString() ?? "", StringComparer.Ordinal);
        var dequeueCount = long.Parse(metadata["DequeueCount"], System.Globalization.CultureInfo.InvariantCulture);
        var fails = message.Contains("fail", StringComparison.Ordinal)
            || (message.Contains("flaky", StringComparison.Ordinal) && dequeueCount == 1);
        recorder.Deliveries.Enqueue(new QueueDelivery(message, dequeueCount, metadata, !fails));
        if (fails)
        {
            throw new InvalidOperationException("The message asked to fail.");
        }
    }
}

/// <summary>Binds the SDK type, which the worker gets as model binding data (deferred binding) from the host.</summary>
public sealed class QueueMessageFunctions(Recorder recorder)
{
    [Function("Receipts")]
    public void Receipts([QueueTrigger("%SampleMessageQueue%")] Azure.Storage.Queues.Models.QueueMessage message) =>
        recorder.Messages.Enqueue(message);
}

public sealed class TimerFunctions(Recorder recorder, TimeProvider time)
{
    [Function("Sweep")]
    public async Task Sweep([TimerTrigger("%SampleSchedule%")] TimerInfo timer, FunctionContext context)
    {
        if (Interlocked.Increment(ref recorder.TimerRunning) > 1)
        {
            Interlocked.Increment(ref recorder.TimerOverlaps);
        }

        try
        {
            var raw = context.BindingContext.BindingData.TryGetValue("timer", out var value) ? value?.ToString() ?? "" : "";
            recorder.TimerRuns.Enqueue(new TimerRun(timer, raw, time.GetUtcNow()));
            if (recorder.TimerHold is { } hold)
            {
                await hold.Task.WaitAsync(context.CancellationToken);
            }
        }
        finally
        {
            Interlocked.Decrement(ref recorder.TimerRunning);
        }
    }
}

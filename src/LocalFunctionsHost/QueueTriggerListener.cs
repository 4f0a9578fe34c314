using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Google.Protobuf;
using LocalFunctionsHost.Protocol;

namespace LocalFunctionsHost;

/// <summary>
/// Drives one queue-triggered function the way the Functions host's queue listener does: polls with exponential
/// back-off up to <c>maxPollingInterval</c>, takes up to <c>batchSize</c> messages and fetches more once in-flight
/// work drops to <c>newBatchThreshold</c>, deletes a message only after the function succeeded, makes a failed one
/// visible again after <c>visibilityTimeout</c>, and after <c>maxDequeueCount</c> attempts moves it to
/// <c>&lt;queue&gt;-poison</c>. A message is copied to the poison queue before it is deleted, so it is never lost.
/// </summary>
internal sealed partial class QueueTriggerListener
{
    private static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(100);

    // How long a message stays hidden while the function runs (the host's default for in-flight messages).
    private static readonly TimeSpan InFlightVisibility = TimeSpan.FromMinutes(10);

    private readonly FunctionsHost _host;
    private readonly FunctionDefinition _function;
    private readonly QueueSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly QueueClient _queue;
    private readonly QueueClient _poison;
    private readonly QueueClient _rawPoison;
    private readonly SemaphoreSlim _completions = new(0);
    private int _inFlight;

    public QueueTriggerListener(
        FunctionsHost host, FunctionDefinition function, QueueBinding binding, QueueSettings settings, TimeProvider time, ILogger logger)
    {
        _host = host;
        _function = function;
        _settings = settings;
        _time = time;
        _logger = logger;
        QueueName = binding.QueueName;
        var poisonName = QueueName + "-poison";
        var encoding = settings.Base64Encoding ? QueueMessageEncoding.Base64 : QueueMessageEncoding.None;
        var options = new QueueClientOptions { MessageEncoding = encoding };
        options.MessageDecodingFailed += OnMessageDecodingFailedAsync;
        _queue = new QueueClient(binding.ConnectionString, QueueName, options);
        _poison = new QueueClient(binding.ConnectionString, poisonName, new QueueClientOptions { MessageEncoding = encoding });
        _rawPoison = new QueueClient(binding.ConnectionString, poisonName,
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
    }

    public string QueueName { get; }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var delay = MinPollingInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (Volatile.Read(ref _inFlight) > _settings.NewBatchThreshold)
                {
                    await _completions.WaitAsync(stoppingToken).ConfigureAwait(false);
                }

                var messages = await ReceiveAsync(stoppingToken).ConfigureAwait(false);
                if (messages.Length == 0)
                {
                    await Task.Delay(Jitter(delay), _time, stoppingToken).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _settings.MaxPollingInterval.Ticks));
                    continue;
                }

                delay = MinPollingInterval;
                foreach (var message in messages)
                {
                    Interlocked.Increment(ref _inFlight);
                    _ = ProcessAsync(message, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }

        // Let in-flight invocations finish (or release their messages) before stopping.
        while (Volatile.Read(ref _inFlight) > 0)
        {
            await _completions.WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task<QueueMessage[]> ReceiveAsync(CancellationToken ct)
    {
        try
        {
            var batch = Math.Clamp(_settings.BatchSize, 1, 32); // the service's maximum per receive
            return (await _queue.ReceiveMessagesAsync(batch, InFlightVisibility, ct).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return []; // the queue does not exist yet: nothing to do, keep polling
        }
        catch (RequestFailedException e)
        {
            LogReceiveFailed(_logger, e, QueueName, e.Status);
            return [];
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Storage unreachable (e.g. Azurite not started yet): keep polling, backing off.
            LogReceiveFailed(_logger, e, QueueName, 0);
            return [];
        }
    }

    private async Task ProcessAsync(QueueMessage message, CancellationToken stoppingToken)
    {
        try
        {
            if (message.DequeueCount > _settings.MaxDequeueCount)
            {
                // Seen too often already (e.g. the host stopped while handling it): do not try again.
                await MoveToPoisonAsync(message).ConfigureAwait(false);
                return;
            }

            bool succeeded;
            try
            {
                var response = await _host.InvokeAsync(_function.Name, (request, function) => Fill(request, function, message),
                    stoppingToken).ConfigureAwait(false);
                succeeded = response.Result?.Status == StatusResult.Types.Status.Success;
                if (!succeeded)
                {
                    LogFunctionFailed(_logger, _function.Name, message.MessageId, response.Result?.Exception?.Message);
                }
            }
            catch (Exception e) when (e is WorkerUnavailableException
                                      || (e is OperationCanceledException && !stoppingToken.IsCancellationRequested))
            {
                // The worker stopped or the function timed out: a failed attempt, as in Azure.
                LogFunctionFailed(_logger, _function.Name, message.MessageId, e.Message);
                succeeded = false;
            }

            if (succeeded)
            {
                await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None).ConfigureAwait(false);
            }
            else if (message.DequeueCount >= _settings.MaxDequeueCount)
            {
                await MoveToPoisonAsync(message).ConfigureAwait(false);
            }
            else
            {
                await _queue.UpdateMessageAsync(
                    message.MessageId, message.PopReceipt, visibilityTimeout: _settings.VisibilityTimeout,
                    cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await ReleaseQuietlyAsync(message).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The message stays invisible until InFlightVisibility passes, then is delivered again.
            LogProcessingFailed(_logger, e, _function.Name, QueueName);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _completions.Release();
        }
    }

    /// <summary>The invocation as the host builds it: the message as the trigger's input, its properties as trigger
    /// metadata (strings as strings, the rest JSON, as the host's conversion of binding data does).</summary>
    internal static void Fill(InvocationRequest request, FunctionDefinition function, QueueMessage message)
    {
        var trigger = function.Trigger!;
        var text = message.Body.ToString();
        request.InputData.Add(new ParameterBinding
        {
            Name = trigger.Name,
            Data = SupportsDeferredBinding(trigger)
                ? new TypedData { ModelBindingData = ModelBindingData(message) }
                : trigger.DataType == BindingInfo.Types.DataType.Binary
                    ? new TypedData { Bytes = ByteString.CopyFrom(message.Body.ToArray()) }
                    : new TypedData { String = text },
        });
        request.TriggerMetadata["QueueTrigger"] = new TypedData { String = text };
        request.TriggerMetadata["DequeueCount"] = new TypedData { Json = JsonSerializer.Serialize(message.DequeueCount) };
        request.TriggerMetadata["Id"] = new TypedData { String = message.MessageId };
        request.TriggerMetadata["PopReceipt"] = new TypedData { String = message.PopReceipt };
        // Missing times as the queue extension fills them in.
        AddTime(request, "InsertionTime", message.InsertedOn ?? DateTimeOffset.UtcNow);
        AddTime(request, "ExpirationTime", message.ExpiresOn ?? DateTimeOffset.MaxValue);
        AddTime(request, "NextVisibleTime", message.NextVisibleOn ?? DateTimeOffset.MaxValue);
    }

    private static void AddTime(InvocationRequest request, string name, DateTimeOffset time) =>
        request.TriggerMetadata[name] = new TypedData { Json = JsonSerializer.Serialize(time) };

    // The worker marks parameters of SDK types (QueueMessage, BinaryData) this way; it expects the message itself.
    private static bool SupportsDeferredBinding(Binding trigger) =>
        trigger.Properties.TryGetValue("supportsDeferredBinding", out var value)
        && bool.TryParse(value, out var supported) && supported;

    /// <summary>The message as the queue extension hands it to a worker for SDK-type binding.</summary>
    private static ModelBindingData ModelBindingData(QueueMessage message) =>
        new()
        {
            Version = "1.0",
            Source = "AzureStorageQueues",
            ContentType = "application/json",
            Content = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(new
            {
                message.MessageId,
                message.PopReceipt,
                message.MessageText,
                message.DequeueCount,
                message.InsertedOn,
                message.ExpiresOn,
                message.NextVisibleOn,
            })),
        };

    private async Task MoveToPoisonAsync(QueueMessage message)
    {
        await _poison.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
        await _poison.SendMessageAsync(message.Body, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None).ConfigureAwait(false);
        LogMovedToPoison(_logger, message.MessageId, QueueName, message.DequeueCount);
    }

    private async Task ReleaseQuietlyAsync(QueueMessage message)
    {
        try
        {
            await _queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero).ConfigureAwait(false);
        }
        catch (RequestFailedException)
        {
            // Stopping: the message becomes visible again after InFlightVisibility anyway.
        }
    }

    // A message that is not valid base64 can never be handled: keep it, byte for byte, in the poison queue.
    private async Task OnMessageDecodingFailedAsync(QueueMessageDecodingFailedEventArgs args)
    {
        if (args.ReceivedMessage is not { } message)
        {
            return;
        }

        await _rawPoison.CreateIfNotExistsAsync().ConfigureAwait(false);
        await _rawPoison.SendMessageAsync(message.Body.ToString()).ConfigureAwait(false);
        await args.Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt).ConfigureAwait(false);
        LogMovedToPoison(_logger, message.MessageId, QueueName, message.DequeueCount);
    }

    private static TimeSpan Jitter(TimeSpan delay) =>
        delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)Math.Max(1, delay.TotalMilliseconds / 5)));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read queue {QueueName} (status {Status}); retrying")]
    private static partial void LogReceiveFailed(ILogger logger, Exception e, string queueName, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Function {FunctionName} failed for message {MessageId}: {Reason}")]
    private static partial void LogFunctionFailed(ILogger logger, string functionName, string messageId, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling a message of {QueueName} for {FunctionName} failed")]
    private static partial void LogProcessingFailed(ILogger logger, Exception e, string functionName, string queueName);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Message {MessageId} from {QueueName} moved to the poison queue after {DequeueCount} attempts")]
    private static partial void LogMovedToPoison(ILogger logger, string messageId, string queueName, long dequeueCount);
}

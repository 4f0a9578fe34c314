using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Hotline.Messaging;
using Hotline.Storage;

namespace Hotline.Functions.Hosting.Local;

/// <summary>
/// Drives one queue-triggered function the way the Functions host's queue listener does: polls with exponential
/// back-off up to <c>maxPollingInterval</c>, takes up to <c>batchSize</c> messages and fetches more once in-flight
/// work drops to <c>newBatchThreshold</c>, deletes a message only after the function succeeded, makes a failed one
/// visible again after <c>visibilityTimeout</c>, and after <c>maxDequeueCount</c> attempts moves it to
/// <c>&lt;queue&gt;-poison</c>. A message is copied to the poison queue before it is deleted, so it is never lost.
/// </summary>
public sealed partial class QueueTriggerListener
{
    private static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(100);

    // How long a message stays hidden while the function runs (the host's default for in-flight messages).
    private static readonly TimeSpan InFlightVisibility = TimeSpan.FromMinutes(10);

    private readonly FunctionDefinition _function;
    private readonly QueueTriggerSettings _settings;
    private readonly LocalInvoker _invoker;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly QueueClient _queue;
    private readonly QueueClient _poison;
    private readonly QueueClient _rawPoison;
    private readonly SemaphoreSlim _completions = new(0);
    private int _inFlight;

    public QueueTriggerListener(
        FunctionDefinition function,
        string queueName,
        QueueTriggerSettings settings,
        StorageAccount account,
        LocalInvoker invoker,
        TimeProvider time,
        ILogger logger)
    {
        _function = function;
        _settings = settings;
        _invoker = invoker;
        _time = time;
        _logger = logger;
        QueueName = queueName;

        var encoding = settings.Base64Encoding ? QueueMessageEncoding.Base64 : QueueMessageEncoding.None;
        var options = account.NewQueueOptions(encoding);
        options.MessageDecodingFailed += OnMessageDecodingFailedAsync;
        _queue = account.Queue(queueName, options);
        _poison = account.Queue(QueueNames.PoisonQueueFor(queueName), account.NewQueueOptions(encoding));
        _rawPoison = account.Queue(QueueNames.PoisonQueueFor(queueName), account.NewQueueOptions(QueueMessageEncoding.None));
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
                    await _completions.WaitAsync(stoppingToken);
                }

                var messages = await ReceiveAsync(stoppingToken);
                if (messages.Length == 0)
                {
                    await Task.Delay(Jitter(delay), _time, stoppingToken);
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

        // Let in-flight invocations finish (or release their messages) before the process exits.
        while (Volatile.Read(ref _inFlight) > 0)
        {
            await _completions.WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        }
    }

    private async Task<QueueMessage[]> ReceiveAsync(CancellationToken ct)
    {
        try
        {
            var batch = Math.Clamp(_settings.BatchSize, 1, 32); // the service's maximum per receive
            return (await _queue.ReceiveMessagesAsync(batch, InFlightVisibility, ct)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return []; // the queue does not exist yet: nothing to do, keep polling
        }
        catch (RequestFailedException e)
        {
            LogReceiveFailed(e, QueueName, e.Status);
            return [];
        }
    }

    private async Task ProcessAsync(QueueMessage message, CancellationToken stoppingToken)
    {
        try
        {
            if (message.DequeueCount > _settings.MaxDequeueCount)
            {
                // Seen too often already (e.g. the process died while handling it): do not try again.
                await MoveToPoisonAsync(message);
                return;
            }

            var succeeded = await _invoker.InvokeQueueAsync(_function, message, stoppingToken);
            if (succeeded)
            {
                await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
            }
            else if (message.DequeueCount >= _settings.MaxDequeueCount)
            {
                await MoveToPoisonAsync(message);
            }
            else
            {
                await _queue.UpdateMessageAsync(
                    message.MessageId, message.PopReceipt, visibilityTimeout: _settings.VisibilityTimeout,
                    cancellationToken: CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await ReleaseQuietlyAsync(message);
        }
        catch (Exception e)
        {
            // The message stays invisible until InFlightVisibility passes, then is delivered again.
            LogProcessingFailed(e, _function.Name, QueueName);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _completions.Release();
        }
    }

    private async Task MoveToPoisonAsync(QueueMessage message)
    {
        await _poison.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None);
        await _poison.SendMessageAsync(message.Body, cancellationToken: CancellationToken.None);
        await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
        LogMovedToPoison(message.MessageId, QueueName, message.DequeueCount);
    }

    private async Task ReleaseQuietlyAsync(QueueMessage message)
    {
        try
        {
            await _queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
        }
        catch (RequestFailedException)
        {
            // Shutting down: the message becomes visible again after InFlightVisibility anyway.
        }
    }

    // A message that is not valid base64 can never be handled: keep it, byte for byte, in the poison queue.
    private async Task OnMessageDecodingFailedAsync(QueueMessageDecodingFailedEventArgs args)
    {
        if (args.ReceivedMessage is not { } message)
        {
            return;
        }

        await _rawPoison.CreateIfNotExistsAsync();
        await _rawPoison.SendMessageAsync(message.Body.ToString());
        await args.Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        LogMovedToPoison(message.MessageId, QueueName, message.DequeueCount);
    }

    private static TimeSpan Jitter(TimeSpan delay) =>
        delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)Math.Max(1, delay.TotalMilliseconds / 5)));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read queue {QueueName} (status {Status}); retrying")]
    private partial void LogReceiveFailed(Exception e, string queueName, int status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling a message of {QueueName} for {FunctionName} failed")]
    private partial void LogProcessingFailed(Exception e, string functionName, string queueName);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Message {MessageId} from {QueueName} moved to the poison queue after {DequeueCount} attempts")]
    private partial void LogMovedToPoison(string messageId, string queueName, long dequeueCount);
}

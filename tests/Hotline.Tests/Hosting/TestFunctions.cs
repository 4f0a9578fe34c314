using System.Collections.Concurrent;
using Hotline.Functions.Hosting;

namespace Hotline.Tests.Hosting;

public sealed record TestOrder(string Text, int Number);

public sealed record ReceivedMessage(TestOrder Order, QueueMessageInfo Info);

/// <summary>Records every message it is given.</summary>
public sealed class RecordingQueueFunction : QueueFunction<TestOrder>
{
    public ConcurrentQueue<ReceivedMessage> Received { get; } = new();

    public override string Name => "RecordingQueue";

    protected override Task HandleAsync(TestOrder message, QueueMessageInfo info, CancellationToken cancellationToken)
    {
        Received.Enqueue(new ReceivedMessage(message, info));
        return Task.CompletedTask;
    }
}

/// <summary>Fails every time, recording each attempt.</summary>
public sealed class FailingQueueFunction : QueueFunction<TestOrder>
{
    public ConcurrentQueue<ReceivedMessage> Attempts { get; } = new();

    public override string Name => "FailingQueue";

    protected override Task HandleAsync(TestOrder message, QueueMessageInfo info, CancellationToken cancellationToken)
    {
        Attempts.Enqueue(new ReceivedMessage(message, info));
        throw new InvalidOperationException("This function always fails.");
    }
}

/// <summary>Fails on the first delivery of a message, succeeds on the next.</summary>
public sealed class FlakyQueueFunction : QueueFunction<TestOrder>
{
    public ConcurrentQueue<ReceivedMessage> Attempts { get; } = new();

    public ConcurrentQueue<ReceivedMessage> Succeeded { get; } = new();

    public override string Name => "FlakyQueue";

    protected override Task HandleAsync(TestOrder message, QueueMessageInfo info, CancellationToken cancellationToken)
    {
        Attempts.Enqueue(new ReceivedMessage(message, info));
        if (info.DequeueCount == 1)
        {
            throw new TimeoutException("Transient failure on first delivery.");
        }

        Succeeded.Enqueue(new ReceivedMessage(message, info));
        return Task.CompletedTask;
    }
}

public sealed class RecordingTimerFunction : TimerFunction
{
    public ConcurrentQueue<(TimerInfo Info, DateTimeOffset At)> Runs { get; } = new();

    public TimeProvider? Clock { get; set; }

    public override string Name => "EveryFiveMinutes";

    protected override Task HandleAsync(TimerInfo timer, CancellationToken cancellationToken)
    {
        Runs.Enqueue((timer, (Clock ?? TimeProvider.System).GetUtcNow()));
        return Task.CompletedTask;
    }
}

public static class TestFunctionRegistration
{
    public static void AddQueueTestFunctions(this IServiceCollection services,
        RecordingQueueFunction recording, FailingQueueFunction failing, FlakyQueueFunction flaky)
    {
        services.AddSingleton<IFunctionHandler>(recording);
        services.AddSingleton<IFunctionHandler>(failing);
        services.AddSingleton<IFunctionHandler>(flaky);
    }
}

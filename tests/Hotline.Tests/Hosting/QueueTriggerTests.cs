using System.Text.Json;
using Azure.Storage.Queues;
using Hotline.Functions.Hosting.Local;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Hosting;

/// <summary>
/// The local Functions host driving queue triggers against real Azurite, with the test app's host.json
/// (maxDequeueCount 3, visibilityTimeout 0, base64 messages).
/// </summary>
public sealed class QueueTriggerTests : IAsyncLifetime
{
    private readonly RecordingQueueFunction _recording = new();
    private readonly FailingQueueFunction _failing = new();
    private readonly FlakyQueueFunction _flaky = new();
    private readonly string _recordingQueue = TestEnvironment.UniqueName("recording");
    private readonly string _failingQueue = TestEnvironment.UniqueName("failing");
    private readonly string _flakyQueue = TestEnvironment.UniqueName("flaky");
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        foreach (var name in new[] { _recordingQueue, _failingQueue, _flakyQueue })
        {
            await Queue(name).CreateIfNotExistsAsync();
        }

        _app = await RunningApp.StartAsync(
            new Dictionary<string, string?>
            {
                ["Functions:Root"] = TestEnvironment.FunctionApp("queue-app"),
                ["LocalFunctionsHost:Enabled"] = "true",
                ["RecordingQueueName"] = _recordingQueue,
                ["FailingQueueName"] = _failingQueue,
                ["FlakyQueueName"] = _flakyQueue,
            },
            b => b.Services.AddQueueTestFunctions(_recording, _failing, _flaky));
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task The_local_host_listens_on_the_queue_named_by_the_binding_expression()
    {
        var state = _app.Services.GetRequiredService<LocalFunctionsHostState>();
        await Eventually.TrueAsync(() => state.QueueListeners.Count == 3, "three queue listeners");
        Assert.Equal(_recordingQueue, state.QueueListeners["RecordingQueue"]);
    }

    [Fact]
    public async Task A_base64_queue_message_reaches_the_function_once_and_is_then_deleted()
    {
        await Queue(_recordingQueue).SendMessageAsync(JsonSerializer.Serialize(new { text = "olá, 你好", number = 42 }));

        var received = await Eventually.ReturnsAsync(
            () => Task.FromResult(_recording.Received.FirstOrDefault()), "the message to arrive");

        Assert.Equal(new TestOrder("olá, 你好", 42), received.Order);
        Assert.Equal(1, received.Info.DequeueCount);
        Assert.False(string.IsNullOrEmpty(received.Info.Id));
        await Eventually.TrueAsync(async () => await ApproximateCountAsync(_recordingQueue) == 0, "the queue to empty");
        Assert.Single(_recording.Received);
    }

    [Fact]
    public async Task A_failing_function_sees_the_message_again_and_after_maxDequeueCount_it_is_in_the_poison_queue()
    {
        var payload = JsonSerializer.Serialize(new { text = "keep me", number = 9 });
        await Queue(_failingQueue).SendMessageAsync(payload);

        var poison = Queue(_failingQueue + "-poison");
        await Eventually.TrueAsync(
            async () => await poison.ExistsAsync() && (await poison.PeekMessagesAsync(5)).Value.Length > 0,
            "the message to reach the poison queue");

        Assert.Equal([1L, 2L, 3L], _failing.Attempts.Select(a => a.Info.DequeueCount).ToArray());
        var poisoned = Assert.Single((await poison.PeekMessagesAsync(5)).Value);
        Assert.Equal(payload, poisoned.Body.ToString()); // nothing lost: same content, still base64-encoded
        Assert.Empty((await Queue(_failingQueue).PeekMessagesAsync(5)).Value);
    }

    [Fact]
    public async Task A_transient_failure_is_retried_and_succeeds_without_poisoning()
    {
        await Queue(_flakyQueue).SendMessageAsync(JsonSerializer.Serialize(new { text = "retry me", number = 1 }));

        var success = await Eventually.ReturnsAsync(
            () => Task.FromResult(_flaky.Succeeded.FirstOrDefault()), "the retried message to succeed");

        Assert.Equal(2, success.Info.DequeueCount);
        Assert.Equal(2, _flaky.Attempts.Count);
        await Eventually.TrueAsync(async () => await ApproximateCountAsync(_flakyQueue) == 0, "the queue to empty");
        Assert.False(await Queue(_flakyQueue + "-poison").ExistsAsync());
    }

    [Fact]
    public async Task A_message_that_is_not_base64_is_kept_byte_for_byte_in_the_poison_queue()
    {
        var raw = new QueueClient(TestEnvironment.StorageConnectionString, _recordingQueue,
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        await raw.SendMessageAsync("this is not base64 ***");

        var poison = new QueueClient(TestEnvironment.StorageConnectionString, _recordingQueue + "-poison",
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        await Eventually.TrueAsync(
            async () => await poison.ExistsAsync() && (await poison.PeekMessagesAsync(5)).Value.Length > 0,
            "the undecodable message to reach the poison queue");

        Assert.Equal("this is not base64 ***", Assert.Single((await poison.PeekMessagesAsync(5)).Value).Body.ToString());
        Assert.Empty(_recording.Received);
    }

    [Fact]
    public async Task Many_messages_are_each_handled_exactly_once()
    {
        var queue = Queue(_recordingQueue);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            queue.SendMessageAsync(JsonSerializer.Serialize(new { text = "bulk", number = i }))));

        await Eventually.TrueAsync(() => _recording.Received.Count >= 40, "all 40 messages");
        await Eventually.TrueAsync(async () => await ApproximateCountAsync(_recordingQueue) == 0, "the queue to empty");

        Assert.Equal(Enumerable.Range(0, 40), _recording.Received.Select(r => r.Order.Number).Order());
    }

    private static QueueClient Queue(string name) =>
        new(TestEnvironment.StorageConnectionString, name,
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    private static async Task<int> ApproximateCountAsync(string name) =>
        (await Queue(name).GetPropertiesAsync()).Value.ApproximateMessagesCount;
}

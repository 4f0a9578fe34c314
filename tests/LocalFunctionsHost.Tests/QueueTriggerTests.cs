using System.Globalization;
using System.Text.Json;
using Azure.Storage.Queues;
using LocalFunctionsHost.SampleApp;

namespace LocalFunctionsHost.Tests;

/// <summary>
/// Queue triggers against real Azurite, with the sample's host.json (maxDequeueCount 3, visibilityTimeout 0,
/// base64 messages). Each test has its own queue and host.
/// </summary>
public sealed class QueueTriggerTests : IAsyncLifetime
{
    private readonly string _queueName = Sample.UniqueQueue("orders");
    private FunctionsHost _host = null!;
    private Recorder _recorder = null!;

    public async Task InitializeAsync()
    {
        await Queue(_queueName).CreateIfNotExistsAsync();
        _host = await Sample.StartAsync(Sample.InProcess(), Sample.Settings(_queueName));
        _recorder = (await _host.CurrentWorker).Recorder();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public void The_host_listens_on_the_queue_named_by_the_setting_expression() =>
        Assert.Equal(_queueName, _host.QueueListeners["Orders"]);

    [Fact]
    public async Task A_base64_message_reaches_the_function_once_with_the_hosts_trigger_metadata_and_is_then_deleted()
    {
        var payload = JsonSerializer.Serialize(new { text = "olá, 你好", number = 42 });
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        var sent = (await Queue(_queueName).SendMessageAsync(payload)).Value;

        var delivery = await Eventually.ReturnsAsync(
            () => Task.FromResult(_recorder.Deliveries.FirstOrDefault()), "the message to arrive");

        Assert.Equal(payload, delivery.Message);
        Assert.Equal(1, delivery.DequeueCount);
        Assert.Equal(sent.MessageId, delivery.Metadata["Id"]);
        Assert.False(string.IsNullOrEmpty(delivery.Metadata["PopReceipt"]));
        Assert.Equal(payload, delivery.Metadata["QueueTrigger"]);
        foreach (var time in new[] { "InsertionTime", "ExpirationTime", "NextVisibleTime" })
        {
            // JSON-encoded DateTimeOffset, as the host's conversion of binding data writes it.
            var value = DateTimeOffset.Parse(delivery.Metadata[time].Trim('"'), CultureInfo.InvariantCulture);
            Assert.True(value > before, $"{time} {value}");
        }

        await Eventually.TrueAsync(async () => await CountAsync(_queueName) == 0, "the queue to empty");
        Assert.Single(_recorder.Deliveries);
    }

    [Fact]
    public async Task A_message_that_always_fails_is_in_the_poison_queue_after_maxDequeueCount_with_its_content_intact()
    {
        var payload = JsonSerializer.Serialize(new { text = "please fail", number = 9 });
        await Queue(_queueName).SendMessageAsync(payload);

        var poison = Queue(_queueName + "-poison");
        await Eventually.TrueAsync(
            async () => await poison.ExistsAsync() && (await poison.PeekMessagesAsync(5)).Value.Length > 0,
            "the message to reach the poison queue");

        Assert.Equal([1L, 2L, 3L], _recorder.Deliveries.Select(d => d.DequeueCount).ToArray());
        var poisoned = Assert.Single((await poison.PeekMessagesAsync(5)).Value);
        Assert.Equal(payload, poisoned.Body.ToString()); // nothing lost: same content, still base64-encoded
        Assert.Empty((await Queue(_queueName).PeekMessagesAsync(5)).Value);
        Assert.Equal(0, await CountAsync(_queueName)); // not merely invisible: deleted
    }

    [Fact]
    public async Task A_function_binding_QueueMessage_gets_the_message_as_model_binding_data()
    {
        var queueName = _host.QueueListeners["Receipts"];
        await Queue(queueName).CreateIfNotExistsAsync();
        var sent = (await Queue(queueName).SendMessageAsync("receipt ✓")).Value;

        var message = await Eventually.ReturnsAsync(
            () => Task.FromResult(_recorder.Messages.FirstOrDefault()), "the QueueMessage to arrive");

        Assert.Equal("receipt ✓", message.MessageText);
        Assert.Equal(sent.MessageId, message.MessageId);
        Assert.Equal(1, message.DequeueCount);
        Assert.False(string.IsNullOrEmpty(message.PopReceipt));
        await Eventually.TrueAsync(async () => await CountAsync(queueName) == 0, "the queue to empty");
    }

    [Fact]
    public async Task A_transient_failure_is_retried_and_succeeds_without_poisoning()
    {
        await Queue(_queueName).SendMessageAsync("flaky once");

        var success = await Eventually.ReturnsAsync(
            () => Task.FromResult(_recorder.Deliveries.FirstOrDefault(d => d.Succeeded)), "the retried message to succeed");

        Assert.Equal(2, success.DequeueCount);
        Assert.Equal(2, _recorder.Deliveries.Count);
        await Eventually.TrueAsync(async () => await CountAsync(_queueName) == 0, "the queue to empty");
        Assert.False(await Queue(_queueName + "-poison").ExistsAsync());
    }

    [Fact]
    public async Task A_message_that_is_not_base64_is_kept_byte_for_byte_in_the_poison_queue()
    {
        var raw = new QueueClient(Sample.Storage, _queueName, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        await raw.SendMessageAsync("this is not base64 ***");

        var poison = new QueueClient(Sample.Storage, _queueName + "-poison",
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        await Eventually.TrueAsync(
            async () => await poison.ExistsAsync() && (await poison.PeekMessagesAsync(5)).Value.Length > 0,
            "the undecodable message to reach the poison queue");

        Assert.Equal("this is not base64 ***", Assert.Single((await poison.PeekMessagesAsync(5)).Value).Body.ToString());
        Assert.Empty(_recorder.Deliveries);
        Assert.Equal(0, await CountAsync(_queueName));
    }

    [Fact]
    public async Task Many_messages_are_each_handled_exactly_once()
    {
        var queue = Queue(_queueName);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => queue.SendMessageAsync($"bulk {i}")));

        await Eventually.TrueAsync(() => _recorder.Deliveries.Count >= 40, "all 40 messages");
        await Eventually.TrueAsync(async () => await CountAsync(_queueName) == 0, "the queue to empty");

        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"bulk {i}").Order(), _recorder.Deliveries.Select(d => d.Message).Order());
    }

    private static QueueClient Queue(string name) =>
        new(Sample.Storage, name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    private static async Task<int> CountAsync(string name) =>
        (await Queue(name).GetPropertiesAsync()).Value.ApproximateMessagesCount;
}

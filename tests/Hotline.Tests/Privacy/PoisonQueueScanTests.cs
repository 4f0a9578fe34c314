using System.Net.Http.Json;
using System.Text;
using Azure.Storage.Queues;
using Hotline.Conversations;
using Hotline.Messaging;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Privacy;

/// <summary>
/// A reply that never gets through ends in <c>sms-outbound-poison</c>, where nobody reads it again: the privacy scan
/// must look there too, and at every message, not only the first 32 a peek shows.
/// </summary>
[Collection(SmsCollection.Name)] // shares the product's sms-outbound queue with the other SMS tests
public sealed class PoisonQueueScanTests : IAsyncLifetime
{
    private const string Caller = "+40724111222";
    private const string National = "0724111222";

    // The product's host.json (maxDequeueCount 5), except that a failed message is visible again after 1 s, not 30 s.
    private readonly FunctionRootCopy _functions = FunctionRootCopy.WithQueueSettings(visibilityTimeout: TimeSpan.FromSeconds(1));
    private TwilioApiDouble _twilio = null!;
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _twilio = await TwilioApiDouble.StartAsync();
        _app = await RunningApp.StartWithRosterAsync(
            [new("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 3)],
            new Dictionary<string, string?>(_twilio.AppSettings())
            {
                ["Functions:Root"] = _functions.Path,
            });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _twilio.DisposeAsync();
        _functions.Dispose();
    }

    [Fact]
    public async Task A_reply_that_ended_in_the_poison_queue_is_scanned_and_holds_no_trace_of_the_callers_number()
    {
        var (ioana, id) = await AcceptedConversationAsync();
        // Twilio fails with 500 every time: not retried in-process, so each delivery is one attempt, until the host
        // gives up after maxDequeueCount (5) and moves the message to the poison queue.
        _twilio.AnswerNextWith(Enumerable.Repeat(500, 50).ToArray());

        (await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "Sunteți în siguranță?" })).EnsureSuccessStatusCode();

        var poison = new QueueClient(TestEnvironment.StorageConnectionString, QueueNames.PoisonQueueFor(QueueNames.SmsOutbound));
        await Eventually.TrueAsync(
            async () => await poison.ExistsAsync() && (await StoredData.MessagesAsync(poison)).Any(m => Mentions(m, id)),
            "the reply to be moved to the poison queue", within: TimeSpan.FromSeconds(90));
        Assert.Equal(5, _twilio.Attempts);
        Assert.Empty(_twilio.Sent);

        var scan = await StoredData.ScanAsync(_app);

        Assert.Contains(scan.QueueMessages[poison.Name], m => Mentions(m, id)); // the scan read it there
        Assert.DoesNotContain(scan.QueueMessages[QueueNames.SmsOutbound], m => Mentions(m, id));
        Assert.True(scan.Text.Length > 1000, "the scan saw the stored data");
        foreach (var form in StoredData.FormsOf(Caller, National))
        {
            Assert.DoesNotContain(form, scan.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_scan_reads_every_message_of_a_queue_not_only_the_first_32_and_leaves_them_there()
    {
        var queue = new QueueClient(TestEnvironment.StorageConnectionString, TestEnvironment.UniqueName("scan-paging"));
        await queue.CreateIfNotExistsAsync();
        try
        {
            for (var i = 1; i <= 40; i++)
            {
                await queue.SendMessageAsync(i == 40 ? $"message {i} from {Caller}" : $"message {i}");
            }

            var scan = await StoredData.ScanAsync(_app);

            Assert.Equal(40, scan.QueueMessages[queue.Name].Count);
            Assert.Contains(Caller, scan.Text, StringComparison.Ordinal);
            Assert.Equal(32, (await queue.PeekMessagesAsync(32)).Value.Length); // visible again, nothing taken
            Assert.Equal(40, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        }
        finally
        {
            await queue.DeleteIfExistsAsync();
        }
    }

    /// <summary>Whether a queue message (base64 JSON, as the product writes them) is about this conversation.</summary>
    private static bool Mentions(string message, string conversationId)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(message)).Contains(conversationId, StringComparison.Ordinal);
        }
        catch (FormatException)
        {
            return message.Contains(conversationId, StringComparison.Ordinal);
        }
    }

    private Task<(HttpClient Counsellor, string Id)> AcceptedConversationAsync() => AcceptedConversations.OfSmsAsync(_app, Caller);

    private static Uri Api(string path) => new("/api/" + path, UriKind.Relative);
}

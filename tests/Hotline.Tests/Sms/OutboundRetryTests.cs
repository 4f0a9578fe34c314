using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Conversations;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Sms;

/// <summary>
/// Twilio errors on a reply: 429 and 503 (Twilio did not act) are retried at once by the HTTP resilience pipeline;
/// a 500 or a broken connection may come after Twilio sent the message, so it is not retried blindly: the invocation
/// fails, the queue redelivers, and the redelivery first asks Twilio whether the message went out. Either way the
/// caller gets it once.
/// The product's host.json, except that a failed message is visible again after 1 s instead of 30 s.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class OutboundRetryTests : IAsyncLifetime
{
    private const string Caller = "+40723555777";
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
    public async Task Service_unavailable_is_retried_at_once_and_the_message_goes_out_once()
    {
        var (ioana, id) = await AcceptedConversationAsync();
        _twilio.AnswerNextWith(503, 503);

        await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "Sunteți în siguranță?" });

        await Eventually.TrueAsync(async () => await DeliveryStatusAsync(ioana, id) == "sent", "the reply to go out after 503s");
        Assert.Equal("Sunteți în siguranță?", Assert.Single(_twilio.Sent).Body);
        Assert.Equal(3, _twilio.Attempts);
        Assert.Equal(0, _twilio.Lookups); // within one invocation: no redelivery was needed
    }

    [Fact]
    public async Task Service_unavailable_beyond_the_immediate_retries_is_retried_by_the_queue_and_goes_out_once()
    {
        var (ioana, id) = await AcceptedConversationAsync();
        _twilio.AnswerNextWith(503, 503, 503, 503); // the first attempt and all three retries

        await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "Vă sun mâine?" });

        await Eventually.TrueAsync(async () => await DeliveryStatusAsync(ioana, id) == "sent", "the reply to go out on redelivery");
        Assert.Single(_twilio.Sent);
        Assert.Equal(5, _twilio.Attempts);
        Assert.Equal(1, _twilio.Lookups); // the redelivery asked first
    }

    [Fact]
    public async Task A_server_error_is_retried_through_the_queue_which_first_asks_whether_it_went_out()
    {
        var (ioana, id) = await AcceptedConversationAsync();
        _twilio.AnswerNextWith(500);

        await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "Mesaj după eroare" });

        await Eventually.TrueAsync(async () => await DeliveryStatusAsync(ioana, id) == "sent", "the reply to go out after a 500");
        Assert.Equal("Mesaj după eroare", Assert.Single(_twilio.Sent).Body);
        Assert.Equal(2, _twilio.Attempts);
        Assert.Equal(1, _twilio.Lookups);
    }

    [Fact]
    public async Task A_server_error_after_Twilio_sent_the_message_does_not_send_it_twice()
    {
        var (ioana, id) = await AcceptedConversationAsync();
        _twilio.AcceptButAnswerNextWith(500);

        await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "Doar o dată" });

        await Eventually.TrueAsync(async () => await DeliveryStatusAsync(ioana, id) == "sent", "the redelivery to find the sent reply");
        Assert.Equal("Doar o dată", Assert.Single(_twilio.Sent).Body);
        Assert.Equal(1, _twilio.Attempts);
        var stored = (await _app.Services.GetRequiredService<IConversationStore>().MessagesAsync(id)).Single(m => m.Direction == MessageDirection.Outbound);
        Assert.Equal(_twilio.Sent.Single().Sid, stored.ProviderMessageId);
    }

    [Fact]
    public async Task A_connection_broken_after_Twilio_took_the_message_is_not_repeated_and_the_redelivery_finds_it()
    {
        var (ioana, id) = await AcceptedConversationAsync();
        _twilio.AcceptButDropConnectionNext();

        await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "Fără dublură" });

        await Eventually.TrueAsync(async () => await DeliveryStatusAsync(ioana, id) == "sent", "the redelivery to find the sent reply");
        Assert.Equal("Fără dublură", Assert.Single(_twilio.Sent).Body);
        Assert.Equal(1, _twilio.Attempts); // the pipeline did not send the POST again
        Assert.Equal(1, _twilio.Lookups);
    }

    private Task<(HttpClient Counsellor, string Id)> AcceptedConversationAsync() => AcceptedConversations.OfSmsAsync(_app, Caller);

    private static Task<string?> DeliveryStatusAsync(HttpClient client, string id) => AcceptedConversations.LastReplyStatusAsync(client, id);

    private static Uri Api(string path) => new("/api/" + path, UriKind.Relative);
}

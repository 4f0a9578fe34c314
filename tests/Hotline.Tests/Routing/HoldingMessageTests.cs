using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Queues;
using Hotline.Conversations;
using Hotline.Messaging;
using Hotline.Privacy;
using Hotline.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Hotline.Tests.Routing;

/// <summary>
/// A caller nobody has answered for <c>Routing__HoldingMessageAfter</c> gets one short holding message in their
/// language, by SMS through the reply path or in the chat: not before, and exactly once however often the sweep runs.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class HoldingMessageTests : IAsyncLifetime
{
    private const string Caller = "+40722000801";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    private TwilioApiDouble _twilio = null!;
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        await new QueueClient(TestEnvironment.StorageConnectionString, QueueNames.SmsOutbound).ClearMessagesAsync().ContinueWith(_ => { });
        _twilio = await TwilioApiDouble.StartAsync();
        var settings = _twilio.AppSettings();
        settings["Routing:HoldingMessageAfter"] = "00:04:00";
        // Nobody on the roster: the conversation waits; SendSms runs on the local Functions host.
        _app = await RunningApp.StartWithRosterAsync([], settings, configure: b => b.Services.AddSingleton<TimeProvider>(_clock));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _twilio.DisposeAsync();
    }

    private IConversationStore Store => _app.Services.GetRequiredService<IConversationStore>();

    private ConversationAssigner Assigner => _app.Services.GetRequiredService<ConversationAssigner>();

    [Fact]
    public async Task A_waiting_SMS_caller_gets_one_holding_message_after_the_configured_time_and_never_a_second()
    {
        await new TwilioWebhookClient(_app).SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");
        var pseudonym = await _app.Services.GetRequiredService<CallerPseudonymizer>().PseudonymOfAsync(Caller);
        var id = (await Store.FindCallerAsync(pseudonym))!.OpenConversationId!;
        await Eventually.TrueAsync(async () => (await Store.FindAsync(id))!.Status == ConversationStatus.Waiting, "the conversation to wait");

        _clock.Advance(TimeSpan.FromMinutes(4) - TimeSpan.FromSeconds(1));
        await Assigner.RerouteStaleAsync();
        Assert.Empty(await OutboundAsync(id));

        // Due now. Sweeps at once (two instances) and again (a retried invocation) store one message between them.
        _clock.Advance(TimeSpan.FromSeconds(1));
        await Task.WhenAll(Assigner.RerouteStaleAsync(), Assigner.RerouteStaleAsync(), Assigner.RerouteStaleAsync());
        await Assigner.RerouteStaleAsync();
        _clock.Advance(TimeSpan.FromMinutes(10));
        await Assigner.RerouteStaleAsync();

        var holding = Assert.Single(await OutboundAsync(id));
        var expected = _app.Services.GetRequiredService<CallerTexts>().Get("ro", CallerText.HoldingMessage, new Dictionary<string, string> { ["EmergencyNumber"] = "112" });
        Assert.Equal(expected, holding.Text.Reveal());
        // The local Functions host waits on the app's clock between queue polls: let time pass while waiting.
        var sent = await Eventually.ReturnsAsync(() => Task.FromResult(Tick(_twilio.Sent.FirstOrDefault())), "the holding message to reach Twilio");
        Assert.Equal((Caller, TwilioWebhookClient.GeneralNumber, expected), (sent.To, sent.From, sent.Body));
        await Eventually.TrueAsync(async () => Tick((await OutboundAsync(id)).Single().DeliveryStatus == DeliveryStatuses.Sent), "the holding message marked sent");

        // Every delivery request (the losing sweeps' too) has been consumed or withdrawn: still one SMS.
        var outbound = new QueueClient(TestEnvironment.StorageConnectionString, QueueNames.SmsOutbound);
        await Eventually.TrueAsync(async () => Tick((await outbound.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0), "the outbound queue to drain");
        Assert.Single(_twilio.Sent);
        // Discreet, as every caller text: the counsellor sees it in the transcript, written by the hotline.
        Assert.Equal(ConversationAssigner.SystemAuthor, holding.Author);
    }

    [Fact]
    public async Task A_waiting_chat_caller_sees_one_holding_message_in_the_chat()
    {
        var token = (await (await _app.Http.PostAsync(new Uri("/api/chat/sessions", UriKind.Relative), null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        using (var send = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/chat/messages", UriKind.Relative)))
        {
            send.Content = JsonContent.Create(new { id = Guid.NewGuid().ToString("N"), text = "Мені потрібна допомога", language = "uk" });
            send.Headers.Add("X-Chat-Session", token);
            (await _app.Http.SendAsync(send)).EnsureSuccessStatusCode();
        }

        _clock.Advance(TimeSpan.FromMinutes(5));
        await Task.WhenAll(Assigner.RerouteStaleAsync(), Assigner.RerouteStaleAsync());
        await Assigner.RerouteStaleAsync();

        using var poll = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/chat/messages", UriKind.Relative));
        poll.Headers.Add("X-Chat-Session", token);
        var messages = (await (await _app.Http.SendAsync(poll)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("messages").EnumerateArray()
            .Where(m => m.GetProperty("direction").GetString() == "out").Select(m => m.GetProperty("text").GetString()).ToList();
        var expected = _app.Services.GetRequiredService<CallerTexts>().Get("uk", CallerText.HoldingMessage, new Dictionary<string, string> { ["EmergencyNumber"] = "112" });
        Assert.Equal([expected], messages);
        Assert.Empty(_twilio.Sent);
    }

    private T Tick<T>(T value)
    {
        _clock.Advance(TimeSpan.FromMilliseconds(500));
        return value;
    }

    private async Task<List<ConversationMessage>> OutboundAsync(string id) =>
        (await Store.MessagesAsync(id)).Where(m => m.Direction == MessageDirection.Outbound).ToList();
}

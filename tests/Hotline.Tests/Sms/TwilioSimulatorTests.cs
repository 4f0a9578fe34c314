using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Conversations;
using Hotline.Functions.Dev;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Sms;

/// <summary>The local SMS simulator that <c>./hotline up</c> offers: a full round trip without a Twilio account.</summary>
[Collection(SmsCollection.Name)]
public sealed class TwilioSimulatorTests : IAsyncLifetime
{
    private const string Phone = "+40700000042";
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        var port = RunningApp.FreePort();
        _app = await RunningApp.StartWithRosterAsync(
            [new("ana", "Ana", ["ro"], OnCall: true, Capacity: 2)],
            new Dictionary<string, string?>
            {
                ["Hotline:PublicBaseUrl"] = null,
                ["Twilio:AuthToken"] = null, // the generated local token, as with ./hotline up
                ["Twilio:ApiBaseUrl"] = $"http://127.0.0.1:{port}/dev/twilio/api/",
                ["Twilio:AccountSid"] = TwilioSimulator.DevAccountSid,
            },
            port);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_text_typed_in_the_simulator_is_acknowledged_and_the_counsellors_reply_arrives_on_the_simulated_phone()
    {
        var page = await _app.Http.GetAsync(new Uri("/dev/twilio", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("simulator.js", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var send = await _app.Http.PostAsJsonAsync(new Uri("/dev/twilio/send", UriKind.Relative),
            new { from = Phone, to = TwilioWebhookClient.GeneralNumber, body = "Bună ziua, am nevoie de ajutor" });
        Assert.Equal(HttpStatusCode.OK, send.StatusCode);
        Assert.Contains("Română", await send.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var store = _app.Services.GetRequiredService<IConversationStore>();
        var offered = await Eventually.ReturnsAsync(async () =>
            (await store.ListOpenAsync("ana")).FirstOrDefault(c => c.Status == ConversationStatus.Offered), "the offer to Ana");
        using var ana = await StaffTokens.ClientForAsync(_app, "ana", "counsellor");
        (await ana.PostAsync(new Uri($"/api/conversations/{offered.Id}/accept", UriKind.Relative), null)).EnsureSuccessStatusCode();
        (await ana.PostAsJsonAsync(new Uri($"/api/conversations/{offered.Id}/messages", UriKind.Relative), new { text = "Bună, sunt Ana." })).EnsureSuccessStatusCode();

        await Eventually.TrueAsync(async () =>
        {
            var inbox = await _app.Http.GetFromJsonAsync<JsonElement>(new Uri("/dev/twilio/messages?to=" + Uri.EscapeDataString(Phone), UriKind.Relative));
            return inbox.EnumerateArray().Any(m => m.GetProperty("body").GetString() == "Bună, sunt Ana." && m.GetProperty("via").GetString() == "Messages API");
        }, "the reply on the simulated phone");
    }
}

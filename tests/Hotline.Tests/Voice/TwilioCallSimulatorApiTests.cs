using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Functions.Dev;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Voice;

/// <summary>
/// The local stand-in's Calls and Queues API (<c>/dev/twilio/api/</c>) and the call page's steps for the phones the app
/// calls through it, mounted in the running app: 404 until a call was placed from the page, then Twilio's Basic auth.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class TwilioCallSimulatorApiTests : IAsyncLifetime
{
    private const string Caller = "+40721234599";
    private const string RomanianLine = "+40312345678";

    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        var port = RunningApp.FreePort();
        _app = await RunningApp.StartWithRosterAsync([], new Dictionary<string, string?>
        {
            ["Twilio:AuthToken"] = null,
            ["Twilio:ApiBaseUrl"] = $"http://127.0.0.1:{port}/dev/twilio/api/",
            ["Twilio:AccountSid"] = TwilioSimulator.DevAccountSid,
            ["Sms:Numbers"] = RomanianLine + "=ro",
        }, port);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task The_Calls_API_answers_once_the_page_placed_a_call_and_checks_Twilios_auth()
    {
        var api = $"/dev/twilio/api/2010-04-01/Accounts/{TwilioSimulator.DevAccountSid}";
        var create = new FormUrlEncodedContent([new("To", "+447700900201"), new("From", RomanianLine), new("Url", "https://example.org/x")]);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Http.PostAsync(api + "/Calls.json", create)).StatusCode);

        var call = await (await _app.Http.PostAsJsonAsync("/dev/twilio/calls", new { from = Caller, to = RomanianLine })).Content.ReadFromJsonAsync<JsonElement>();
        var id = call.GetProperty("id").GetString()!;
        Assert.Empty(call.GetProperty("outbound").EnumerateArray());

        var unauthorized = await _app.Http.PostAsync(api + "/Calls.json", create);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal(20003, (await unauthorized.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetInt32());
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.Http.PostAsync(api + $"/Calls/CA{new string('0', 32)}.json", new FormUrlEncodedContent([new("Status", "canceled")]))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.Http.DeleteAsync(api + $"/Queues/QU{new string('0', 32)}.json")).StatusCode);

        // Nothing was created, and the caller is not queued (the app's voice line may not queue yet).
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Http.PostAsJsonAsync($"/dev/twilio/calls/{id}/outbound/1/answer", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _app.Http.PostAsJsonAsync($"/dev/twilio/calls/{id}/outbound/1/press", new { keys = "x" })).StatusCode);
        var notQueued = await _app.Http.PostAsJsonAsync($"/dev/twilio/calls/{id}/wait", new { seconds = 10 });
        Assert.Equal(HttpStatusCode.Conflict, notQueued.StatusCode);
        Assert.Contains("not Queued", await notQueued.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

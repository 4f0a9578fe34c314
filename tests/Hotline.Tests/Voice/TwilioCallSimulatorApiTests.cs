using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Functions.Dev;
using Hotline.Functions.Sms;
using Hotline.Secrets;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Voice;

/// <summary>
/// The local stand-in's Calls and Queues API (<c>/dev/twilio/api/</c>) and the call page's steps for the phones the app
/// calls through it, mounted in the running app: Twilio's Basic auth, whether or not a call was placed from the page.
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
    public async Task The_Calls_API_checks_Twilios_auth_and_the_page_calls_steps_refuse_what_does_not_fit()
    {
        var api = $"/dev/twilio/api/2010-04-01/Accounts/{TwilioSimulator.DevAccountSid}";
        var create = new FormUrlEncodedContent([new("To", "+447700900201"), new("From", RomanianLine), new("Url", "https://example.org/x")]);

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

    [Fact]
    public async Task A_call_the_app_creates_with_no_page_call_is_created_shown_masked_among_the_calls_the_app_made_and_rings_out_as_time_passes()
    {
        const string counsellor = "+447700900201";
        var created = await CreateCallAsync(_app, counsellor, RomanianLine, "/api/twilio/callback", new KeyValuePair<string, string>("Timeout", "20"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith("CA", (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sid").GetString(), StringComparison.Ordinal);

        var listed = await _app.Http.GetStringAsync("/dev/twilio/outbound");
        Assert.DoesNotContain(counsellor, listed, StringComparison.Ordinal);
        var phone = Assert.Single(JsonDocument.Parse(listed).RootElement.GetProperty("calls").EnumerateArray());
        Assert.Equal((1, "•••• 0201", RomanianLine, "Ringing"),
            (phone.GetProperty("index").GetInt32(), phone.GetProperty("to").GetString(), phone.GetProperty("from").GetString(), phone.GetProperty("state").GetString()));

        // The account's clock moves only when told: the phone rings until its Timeout has passed on it.
        var waited = await Wait(10);
        Assert.Equal((10, "ringing"), (waited.GetProperty("seconds").GetInt64(), waited.GetProperty("calls")[0].GetProperty("status").GetString()));
        waited = await Wait(15);
        Assert.Equal((25, "Ended", "no-answer"), (waited.GetProperty("seconds").GetInt64(), waited.GetProperty("calls")[0].GetProperty("state").GetString(),
            waited.GetProperty("calls")[0].GetProperty("status").GetString()));

        var late = await _app.Http.PostAsJsonAsync("/dev/twilio/outbound/1/answer", new { });
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        var reason = await late.Content.ReadAsStringAsync();
        Assert.Contains("•••• 0201", reason, StringComparison.Ordinal);
        Assert.DoesNotContain(counsellor, reason, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Http.PostAsJsonAsync("/dev/twilio/outbound/2/answer", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Http.PostAsJsonAsync("/dev/twilio/outbound/1/legs/1/answer", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Http.PostAsJsonAsync("/dev/twilio/outbound/1/dance", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _app.Http.PostAsJsonAsync("/dev/twilio/outbound/x/answer", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _app.Http.PostAsJsonAsync("/dev/twilio/outbound/wait", new { seconds = -1 })).StatusCode);
    }

    /// <summary>The app creates a call as its Twilio SDK does: <c>POST Calls.json</c> with Basic auth, the Url on the public base.</summary>
    internal static async Task<HttpResponseMessage> CreateCallAsync(RunningApp app, string to, string from, string path, params KeyValuePair<string, string>[] more)
    {
        var token = await app.Services.GetRequiredService<ISecretStore>().GetAsync(TwilioSecrets.AuthToken.Name);
        using var create = new HttpRequestMessage(HttpMethod.Post, $"/dev/twilio/api/2010-04-01/Accounts/{TwilioSimulator.DevAccountSid}/Calls.json")
        {
            Content = new FormUrlEncodedContent([new("To", to), new("From", from), new("Url", RunningApp.PublicBaseUrl + path), .. more]),
        };
        create.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{TwilioSimulator.DevAccountSid}:{token}")));
        return await app.Http.SendAsync(create);
    }

    private async Task<JsonElement> Wait(int seconds)
    {
        var response = await _app.Http.PostAsJsonAsync("/dev/twilio/outbound/wait", new { seconds });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"wait: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}

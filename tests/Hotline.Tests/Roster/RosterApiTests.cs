using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Roster;

/// <summary>The roster API over real HTTP on Azurite, with tokens from the Development sign-in.</summary>
public sealed class RosterApiTests : IAsyncLifetime
{
    private readonly string _id = TestEnvironment.UniqueName("c");
    private RunningApp _app = null!;

    public async Task InitializeAsync() => _app = await RunningApp.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_supervisor_adds_a_counsellor_and_sees_them_on_the_roster()
    {
        using var supervisor = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");

        var put = await supervisor.PutAsJsonAsync(Api($"roster/{_id}"),
            new { displayName = "Ioana", languages = new[] { "ro", "EN" }, onCall = true, capacity = 3, interpreterLanguages = new[] { "sq" }, supervisorOnDuty = true });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var roster = await supervisor.GetFromJsonAsync<JsonElement>(Api("roster"));
        var entry = roster.EnumerateArray().Single(c => c.GetProperty("id").GetString() == _id);
        Assert.Equal("Ioana", entry.GetProperty("displayName").GetString());
        Assert.Equal(["ro", "en"], entry.GetProperty("languages").EnumerateArray().Select(l => l.GetString()));
        Assert.True(entry.GetProperty("onCall").GetBoolean());
        Assert.Equal(3, entry.GetProperty("capacity").GetInt32());
        Assert.Equal(["sq"], entry.GetProperty("interpreterLanguages").EnumerateArray().Select(l => l.GetString()));
        Assert.True(entry.GetProperty("supervisorOnDuty").GetBoolean());
        Assert.False(entry.GetProperty("bringsInterpreter").GetBoolean());
    }

    [Theory]
    [InlineData("""{"displayName":"","languages":["ro"],"onCall":true,"capacity":2}""", "displayName")]
    [InlineData("""{"displayName":"A","languages":[],"onCall":true,"capacity":2}""", "languages")]
    [InlineData("""{"displayName":"A","languages":["xx"],"onCall":true,"capacity":2}""", "'xx' is not one of")]
    [InlineData("""{"displayName":"A","languages":["ro"],"onCall":true,"capacity":-1}""", "capacity")]
    [InlineData("""{"displayName":"A","languages":["ro"],"onCall":true}""", "capacity")]
    public async Task A_bad_roster_entry_is_400_with_the_reason_and_nothing_is_saved(string body, string reason)
    {
        using var supervisor = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");

        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var response = await supervisor.PutAsync(Api($"roster/{_id}"), content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(await _app.Services.GetRequiredService<IRosterStore>().FindAsync(_id));
    }

    [Fact]
    public async Task Roster_needs_a_supervisor_token()
    {
        using var counsellor = await StaffTokens.ClientForAsync(_app, _id, "counsellor");

        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.Http.GetAsync(Api("roster"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await counsellor.GetAsync(Api("roster"))).StatusCode);
        var put = await counsellor.PutAsJsonAsync(Api($"roster/{_id}"),
            new { displayName = "Me", languages = new[] { "ro" }, onCall = true, capacity = 50 });
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
    }

    [Fact]
    public async Task A_counsellor_switches_their_own_on_call_state_and_nothing_else_changes()
    {
        var roster = _app.Services.GetRequiredService<IRosterStore>();
        await roster.SaveAsync(new Counsellor(_id, "Oksana", ["uk", "ru"], OnCall: false, Capacity: 2));
        using var counsellor = await StaffTokens.ClientForAsync(_app, _id, "counsellor");

        var response = await counsellor.PutAsJsonAsync(Api("me/availability"), new { onCall = true });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await roster.FindAsync(_id);
        Assert.True(stored!.OnCall);
        Assert.Equal("Oksana", stored.DisplayName);
        Assert.Equal(["uk", "ru"], stored.Languages);
        Assert.Equal(2, stored.Capacity);
    }

    [Fact]
    public async Task A_counsellor_not_on_the_roster_is_told_so()
    {
        using var counsellor = await StaffTokens.ClientForAsync(_app, _id, "counsellor");
        var response = await counsellor.PutAsJsonAsync(Api("me/availability"), new { onCall = true });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("not on the roster", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_refused()
    {
        // A token from a second app instance with its own generated key: same shape, wrong signature.
        await using var other = await RunningApp.StartAsync();
        using var forged = await StaffTokens.ClientForAsync(other, "sam", "supervisor");
        using var client = new HttpClient { BaseAddress = _app.BaseAddress };
        client.DefaultRequestHeaders.Authorization = forged.DefaultRequestHeaders.Authorization;

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(Api("roster"))).StatusCode);
    }

    [Theory]
    [InlineData("""{"user":"","roles":["counsellor"]}""")]
    [InlineData("""{"user":"ana","roles":[]}""")]
    [InlineData("""{"user":"ana","roles":["admin"]}""")]
    public async Task The_dev_token_endpoint_rejects_bad_requests(string body)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var response = await _app.Http.PostAsync(Api("dev/token"), content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Outside_Development_there_is_no_dev_token_endpoint()
    {
        await using var app = await RunningApp.StartAsync(new Dictionary<string, string?>
        {
            ["Secrets:Provider"] = null,
            ["Secrets:LocalFile"] = null,
            ["Secrets:VaultUri"] = "https://hotline-kv.vault.azure.net/",
            ["Callbacks:VaultUri"] = "https://hotline-callbacks-kv.vault.azure.net/",
            ["Auth:Authority"] = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0",
            ["Auth:Audience"] = "api://hotline",
        }, needsStorage: false, environment: "Production");
        var response = await app.Http.PostAsJsonAsync(new Uri("/api/dev/token", UriKind.Relative),
            new { user = "sam", roles = new[] { "supervisor" } });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static Uri Api(string path) => new("/api/" + path, UriKind.Relative);
}

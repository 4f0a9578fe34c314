using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Conversations;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Hotline.Tests.Chat;

/// <summary>
/// The web chat against abuse, over real HTTP on Azurite: a forged X-Forwarded-For does not get round the limit on
/// new sessions, new conversations have a ceiling, a block holds against a new session from the same address, and a
/// session ends when the caller leaves or its time is up.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class ChatAbuseTests : IAsyncDisposable
{
    private RunningApp? _app;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private async Task<RunningApp> StartAsync(Dictionary<string, string?>? settings = null, FakeTimeProvider? clock = null)
    {
        settings ??= [];
        settings["LocalFunctionsHost:Enabled"] = "false";
        _app = await RunningApp.StartWithRosterAsync(
            [new Counsellor("oksana", "Oksana", ["uk"], OnCall: true, Capacity: 5)], settings,
            configure: clock is null ? null : b => b.Services.AddSingleton<TimeProvider>(clock));
        return _app;
    }

    [Fact]
    public async Task A_rotated_X_Forwarded_For_does_not_get_round_the_limit_on_new_sessions()
    {
        var app = await StartAsync();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 25; i++)
        {
            statuses.Add((await StartSessionAsync(app, forwardedFor: $"198.51.100.{i}")).StatusCode);
        }

        // The caller's own X-Forwarded-For is not believed: the Functions host replaces it with the address it saw.
        Assert.Equal(20, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.All(statuses.Skip(20), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:0:7::1", "2001:db8:0:7::/64")]
    [InlineData("2001:db8:0:7::abcd", "2001:db8:0:7::/64")]
    [InlineData("2001:db8:0:8::1", "2001:db8:0:8::/64")]
    public void The_limits_count_a_client_by_its_address_and_an_IPv6_client_by_its_64_network(string address, string counted)
    {
        // The address the forwarded-headers middleware has taken from the Functions host's X-Forwarded-For.
        var http = new DefaultHttpContext();
        http.Connection.RemoteIpAddress = System.Net.IPAddress.Parse(address);
        Assert.Equal(counted, Hotline.Functions.Chat.ChatEndpoints.ClientAddress(http));
    }

    [Fact]
    public async Task The_former_trusted_proxies_setting_stops_startup_rather_than_lingering_unread()
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(new() { ["Chat:TrustedProxies"] = "127.0.0.1" }));
        Assert.Contains("Setting 'Chat__TrustedProxies' is no longer read", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Over_the_ceiling_a_new_conversation_waits_with_a_reason_while_those_under_way_go_on()
    {
        var app = await StartAsync(new() { ["Chat:NewConversationsPerMinute"] = "3" });
        var first = await TokenAsync(app);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(app, first, "Мені потрібна допомога")).StatusCode);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(app, await TokenAsync(app), "Мені потрібна допомога")).StatusCode);
        }

        var refused = await SendAsync(app, await TokenAsync(app), "Мені потрібна допомога");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("new conversations", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(app, first, "Ви тут?")).StatusCode);
        var store = app.Services.GetRequiredService<IConversationStore>();
        Assert.Equal(3, (await store.ListOpenAsync()).Count);
    }

    [Fact]
    public async Task A_blocked_chat_caller_cannot_start_again_from_a_new_session_until_the_block_is_lifted()
    {
        var app = await StartAsync();
        var store = app.Services.GetRequiredService<IConversationStore>();
        var abuser = await TokenAsync(app);
        await SendAsync(app, abuser, "Мені потрібна допомога");
        var conversation = await Eventually.ReturnsAsync(async () => (await store.ListOpenAsync()).FirstOrDefault(), "the conversation");
        using var sam = await StaffTokens.ClientForAsync(app, "sam", "supervisor");
        (await sam.PostAsJsonAsync(Api($"conversations/{conversation.Id}/block"), new { reason = "abuse of the line", days = 1 })).EnsureSuccessStatusCode();

        var again = await TokenAsync(app);
        var dropped = await SendAsync(app, again, "Я знову тут");

        Assert.Equal(HttpStatusCode.OK, dropped.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await dropped.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reply").ValueKind);
        Assert.Empty(await store.ListOpenAsync());
        var pseudonymizer = app.Services.GetRequiredService<CallerPseudonymizer>();
        Assert.Null(await store.FindCallerAsync(await pseudonymizer.PseudonymOfSessionAsync(again)));
        var stored = (await StoredData.EverythingAsync(app)).Replace(app.BaseAddress.Authority, "(the app)", StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", stored, StringComparison.Ordinal); // the address is kept only as a keyed pseudonym

        Assert.Equal(HttpStatusCode.NoContent, (await sam.DeleteAsync(Api($"blocks/{conversation.CallerPseudonym}"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(app, await TokenAsync(app), "Мені потрібна допомога")).StatusCode);
        await Eventually.TrueAsync(async () => (await store.ListOpenAsync()).Count == 1, "the new conversation");
    }

    [Fact]
    public async Task Leaving_ends_the_session_for_good_and_is_never_refused_for_writing_fast()
    {
        var app = await StartAsync();
        var token = await TokenAsync(app);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 14; i++)
        {
            statuses.Add((await SendAsync(app, token, "Допоможіть " + i)).StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses); // the allowance for messages is used up

        Assert.Equal(HttpStatusCode.NoContent, (await Session(app, token).PostAsync(Api("chat/leave"), null)).StatusCode);

        var poll = await Session(app, token).GetAsync(Api("chat/messages"));
        Assert.Equal(HttpStatusCode.Unauthorized, poll.StatusCode);
        Assert.Contains("ended", await poll.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A session that left cannot start a new conversation either; leaving again does no harm.
        var store = app.Services.GetRequiredService<IConversationStore>();
        var other = await TokenAsync(app);
        await SendAsync(app, other, "Мені потрібна допомога");
        await Eventually.TrueAsync(async () => (await store.ListOpenAsync()).Count == 1, "the second conversation"); // the first closed as its caller left
        Assert.Equal(HttpStatusCode.NoContent, (await Session(app, other).PostAsync(Api("chat/leave"), null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(app, other, "Знову я")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Session(app, other).PostAsync(Api("chat/leave"), null)).StatusCode);
        Assert.Empty(await store.ListOpenAsync()); // both closed: nobody had answered them
    }

    [Fact]
    public async Task A_session_expires_after_its_lifetime()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var app = await StartAsync(new() { ["Chat:SessionLifetime"] = "02:00:00" }, clock);
        var token = await TokenAsync(app);
        Assert.Equal(HttpStatusCode.OK, (await Session(app, token).GetAsync(Api("chat/messages"))).StatusCode);

        clock.Advance(TimeSpan.FromHours(2));

        var poll = await Session(app, token).GetAsync(Api("chat/messages"));
        Assert.Equal(HttpStatusCode.Unauthorized, poll.StatusCode);
        Assert.Contains("expired", await poll.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(app, token, "Мені потрібна допомога")).StatusCode);
        Assert.Empty(await app.Services.GetRequiredService<IConversationStore>().ListOpenAsync());
    }

    private static async Task<HttpResponseMessage> StartSessionAsync(RunningApp app, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Api("chat/sessions"));
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        return await app.Http.SendAsync(request);
    }

    private static async Task<string> TokenAsync(RunningApp app)
    {
        var response = await StartSessionAsync(app);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    private static HttpClient Session(RunningApp app, string token)
    {
        var client = new HttpClient { BaseAddress = app.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Chat-Session", token);
        return client;
    }

    private static async Task<HttpResponseMessage> SendAsync(RunningApp app, string token, string text) =>
        await Session(app, token).PostAsJsonAsync(Api("chat/messages"), new { id = NewId(), text, language = "uk" });

    private static string NewId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

    private static Uri Api(string path) => new("/api/" + path, UriKind.Relative);
}

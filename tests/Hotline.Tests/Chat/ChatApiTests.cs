using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Conversations;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Chat;

/// <summary>The web chat's API over real HTTP on Azurite: sessions, messages, polling, limits and privacy.</summary>
[Collection(SmsCollection.Name)]
public sealed class ChatApiTests : IAsyncLifetime
{
    private RunningApp _app = null!;

    public async Task InitializeAsync() =>
        _app = await RunningApp.StartWithRosterAsync(
            [new Counsellor("oksana", "Oksana", ["uk"], OnCall: true, Capacity: 3)],
            new Dictionary<string, string?> { ["LocalFunctionsHost:Enabled"] = "false" });

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_chat_is_acknowledged_in_its_language_offered_answered_and_the_reply_polled_once_with_no_duplicate_on_retry()
    {
        var token = await StartSessionAsync();
        var id = NewId();

        var first = await SendAsync(token, id, "Мені потрібна допомога", "uk");
        var retried = await SendAsync(token, id, "Мені потрібна допомога", "uk");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Contains("Українська", (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reply").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        var store = _app.Services.GetRequiredService<IConversationStore>();
        var offered = await Eventually.ReturnsAsync(async () =>
            (await store.ListOpenAsync("oksana")).FirstOrDefault(c => c.Status == ConversationStatus.Offered), "the offer");
        Assert.Equal(Channels.Chat, offered.Channel);
        Assert.Null(offered.ProtectedReplyAddress); // a chat needs no address to reply to
        Assert.Single(await store.MessagesAsync(offered.Id));

        using var oksana = await StaffTokens.ClientForAsync(_app, "oksana", "counsellor");
        (await oksana.PostAsync(Api($"conversations/{offered.Id}/accept"), null)).EnsureSuccessStatusCode();
        var reply = await oksana.PostAsJsonAsync(Api($"conversations/{offered.Id}/messages"), new { text = "Вітаю, я Оксана." });
        Assert.Equal(HttpStatusCode.Accepted, reply.StatusCode);

        var poll = await PollAsync(token);
        Assert.Equal("open", poll.GetProperty("status").GetString());
        var messages = poll.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["in", "out"], messages.Select(m => m.GetProperty("direction").GetString()));
        Assert.Equal("Вітаю, я Оксана.", messages[1].GetProperty("text").GetString());
        Assert.False(messages[1].TryGetProperty("author", out _)); // the caller is not told who the counsellor is
        var after = messages[1].GetProperty("at").GetString()!;
        Assert.Empty((await PollAsync(token, after)).GetProperty("messages").EnumerateArray());

        // Another session sees nothing of it.
        Assert.Equal("none", (await PollAsync(await StartSessionAsync())).GetProperty("status").GetString());

        // Leaving tells the counsellor; replying then is refused with the reason.
        (await Session(token).PostAsync(Api("chat/leave"), null)).EnsureSuccessStatusCode();
        var late = await oksana.PostAsJsonAsync(Api($"conversations/{offered.Id}/messages"), new { text = "Sunteți acolo?" });
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Contains("left the chat", await late.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_counsellors_last_words_reach_the_page_after_close_and_leaving_unanswered_closes_the_chat()
    {
        var token = await StartSessionAsync();
        await SendAsync(token, NewId(), "Потрібна допомога", "uk");
        var store = _app.Services.GetRequiredService<IConversationStore>();
        var offered = await Eventually.ReturnsAsync(async () =>
            (await store.ListOpenAsync("oksana")).FirstOrDefault(c => c.Status == ConversationStatus.Offered), "the offer");
        using var oksana = await StaffTokens.ClientForAsync(_app, "oksana", "counsellor");
        (await oksana.PostAsync(Api($"conversations/{offered.Id}/accept"), null)).EnsureSuccessStatusCode();
        (await oksana.PostAsJsonAsync(Api($"conversations/{offered.Id}/messages"), new { text = "Бережіть себе. У небезпеці телефонуйте 112." })).EnsureSuccessStatusCode();
        (await oksana.PostAsync(Api($"conversations/{offered.Id}/close"), null)).EnsureSuccessStatusCode();

        var poll = await PollAsync(token);
        Assert.Equal("closed", poll.GetProperty("status").GetString());
        Assert.Contains(poll.GetProperty("messages").EnumerateArray(), m => m.GetProperty("text").GetString()!.Contains("112", StringComparison.Ordinal));

        // A caller who leaves before anyone answered takes nobody's time.
        var other = await StartSessionAsync();
        await SendAsync(other, NewId(), "Потрібна допомога", "uk");
        var waiting = await Eventually.ReturnsAsync(async () =>
            (await store.ListOpenAsync("oksana")).FirstOrDefault(c => c.Status == ConversationStatus.Offered), "the second offer");
        (await Session(other).PostAsync(Api("chat/leave"), null)).EnsureSuccessStatusCode();
        var closed = (await store.FindAsync(waiting.Id))!;
        Assert.Equal(ConversationStatus.Closed, closed.Status);
        Assert.Equal("closed: caller left before anyone answered", closed.Hops[^1].Reason);
        Assert.Equal(0, (await _app.Services.GetRequiredService<Hotline.Routing.ICounsellorLoads>().OpenCountsAsync()).GetValueOrDefault("oksana"));
    }

    [Fact]
    public async Task Bad_input_gets_a_clear_error_and_too_many_messages_a_429()
    {
        var token = await StartSessionAsync();
        var invented = Convert.ToBase64String(new byte[32]).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(invented, NewId(), "hi")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Session(token[..^1] + (token[^1] == 'A' ? 'B' : 'A')).GetAsync(Api("chat/messages"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.Http.PostAsJsonAsync(Api("chat/messages"), new { id = NewId(), text = "hi" })).StatusCode);
        var tooLong = await SendAsync(token, NewId(), new string('a', 1001));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("longer than 1000", await tooLong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(token, "not-an-id", "hi")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(token, NewId(), "  ")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Http.GetAsync(Api("chat/texts/xx"))).StatusCode);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 14; i++)
        {
            statuses.Add((await SendAsync(token, NewId(), "mesaj " + i)).StatusCode);
        }

        var limited = statuses.FindIndex(s => s == HttpStatusCode.TooManyRequests);
        Assert.InRange(limited, 5, 13); // a burst is allowed, a flood is not
        var answer = await SendAsync(token, NewId(), "one more");
        Assert.Equal(HttpStatusCode.TooManyRequests, answer.StatusCode);
        Assert.Contains("wait a moment", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_of_exactly_the_limit_is_stored_whole_and_one_character_more_is_refused_with_the_reason_never_cut()
    {
        var token = await StartSessionAsync();
        var words = string.Concat(Enumerable.Repeat("Паспорт у роботодавця, мені не платять. ", 30));
        var limit = words[..999] + "!";
        Assert.Equal(1000, limit.Length);

        var over = await SendAsync(token, NewId(), limit + "?", "uk");
        Assert.Equal(HttpStatusCode.BadRequest, over.StatusCode);
        Assert.Contains("longer than 1000 characters", await over.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await _app.Services.GetRequiredService<IConversationStore>().ListOpenAsync()); // nothing of it kept

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(token, NewId(), limit, "uk")).StatusCode);
        var store = _app.Services.GetRequiredService<IConversationStore>();
        var chat = await Eventually.ReturnsAsync(async () => (await store.ListOpenAsync()).FirstOrDefault(), "the conversation");
        Assert.Equal(limit, (await store.MessagesAsync(chat.Id)).Single().Text.Reveal());
        var poll = (await PollAsync(token)).GetProperty("messages").EnumerateArray().Single();
        Assert.Equal(limit, poll.GetProperty("text").GetString());
    }

    [Fact]
    public async Task The_session_token_is_never_stored_and_the_texts_come_from_the_editable_files()
    {
        var token = await StartSessionAsync();
        await SendAsync(token, NewId(), "Потрібна допомога", "uk");
        var store = _app.Services.GetRequiredService<IConversationStore>();
        await Eventually.TrueAsync(async () => (await store.ListOpenAsync()).Count == 1, "the conversation");

        Assert.DoesNotContain(token, await StoredData.EverythingAsync(_app), StringComparison.Ordinal);

        var texts = await _app.Http.GetFromJsonAsync<JsonElement>(Api("chat/texts/ar"));
        Assert.Equal("rtl", texts.GetProperty("direction").GetString());
        Assert.Equal(12, texts.GetProperty("languages").GetArrayLength());
        Assert.Contains("1000", texts.GetProperty("texts").GetProperty("tooLong").GetString(), StringComparison.Ordinal);
    }

    private async Task<string> StartSessionAsync()
    {
        var response = await _app.Http.PostAsync(Api("chat/sessions"), null);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    private HttpClient Session(string token)
    {
        var client = new HttpClient { BaseAddress = _app.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Chat-Session", token);
        return client;
    }

    private async Task<HttpResponseMessage> SendAsync(string token, string id, string text, string? language = null) =>
        await Session(token).PostAsJsonAsync(Api("chat/messages"), new { id, text, language });

    private async Task<JsonElement> PollAsync(string token, string? after = null) =>
        await Session(token).GetFromJsonAsync<JsonElement>(Api("chat/messages" + (after is null ? "" : "?after=" + Uri.EscapeDataString(after))));

    private static string NewId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

    private static Uri Api(string path) => new("/api/" + path, UriKind.Relative);
}

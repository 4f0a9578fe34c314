using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Conversations;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Sms;

/// <summary>The counsellor API over real HTTP: only the assigned counsellor (or a supervisor) reads and answers.</summary>
[Collection(SmsCollection.Name)]
public sealed class ConversationApiTests : IAsyncLifetime
{
    private const string Caller = "+40722000111";
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await RunningApp.StartWithRosterAsync(
            [new("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 2), new("oksana", "Oksana", ["uk"], OnCall: true, Capacity: 2)]);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task The_assigned_counsellor_sees_accepts_answers_and_closes_and_the_caller_is_a_pseudonym()
    {
        var id = await IncomingRomanianConversationAsync();
        using var ioana = await StaffTokens.ClientForAsync(_app, "ioana", "counsellor");

        var list = await ioana.GetFromJsonAsync<JsonElement>(Api("conversations"));
        var item = Assert.Single(list.EnumerateArray(), c => c.GetProperty("id").GetString() == id);
        Assert.Equal("sms", item.GetProperty("channel").GetString());
        Assert.Equal("ro", item.GetProperty("language").GetString());
        Assert.Equal("offered", item.GetProperty("status").GetString());
        Assert.Equal("ioana", item.GetProperty("assignedTo").GetString());
        Assert.StartsWith("p-", item.GetProperty("caller").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("722000111", list.GetRawText(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await ioana.PostAsync(Api($"conversations/{id}/accept"), null)).StatusCode);
        var reply = await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "Bună, sunt Ioana. Sunteți în siguranță acum?" });
        Assert.Equal(HttpStatusCode.Accepted, reply.StatusCode);

        var detail = await ioana.GetFromJsonAsync<JsonElement>(Api($"conversations/{id}"));
        Assert.Equal("active", detail.GetProperty("status").GetString());
        var messages = detail.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["in", "out"], messages.Select(m => m.GetProperty("direction").GetString()));
        Assert.Equal("Bună ziua, am nevoie de ajutor", messages[0].GetProperty("text").GetString());
        Assert.DoesNotContain("722000111", detail.GetRawText(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await ioana.PostAsync(Api($"conversations/{id}/close"), null)).StatusCode);
        var afterClose = await ioana.GetFromJsonAsync<JsonElement>(Api("conversations"));
        Assert.DoesNotContain(afterClose.EnumerateArray(), c => c.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task The_reply_address_of_a_closed_conversation_is_deleted_after_the_grace_period()
    {
        var id = await IncomingRomanianConversationAsync();
        using var ioana = await StaffTokens.ClientForAsync(_app, "ioana", "counsellor");
        var store = _app.Services.GetRequiredService<IConversationStore>();
        Assert.NotNull((await store.FindAsync(id))!.ProtectedReplyAddress);

        (await ioana.PostAsync(Api($"conversations/{id}/close"), null)).EnsureSuccessStatusCode();

        Assert.DoesNotContain(id, await store.DueForReplyAddressPurgeAsync(DateTimeOffset.UtcNow.AddHours(23)));
        Assert.Contains(id, await store.DueForReplyAddressPurgeAsync(DateTimeOffset.UtcNow.AddHours(25)));
        await store.PurgeReplyAddressAsync(id);
        var closed = (await store.FindAsync(id))!;
        Assert.Null(closed.ProtectedReplyAddress);
        Assert.Equal(ConversationStatus.Closed, closed.Status);
        Assert.DoesNotContain(id, await store.DueForReplyAddressPurgeAsync(DateTimeOffset.UtcNow.AddHours(25)));
    }

    [Fact]
    public async Task Another_counsellor_can_neither_read_nor_answer_nor_accept_nor_close_the_conversation()
    {
        var id = await IncomingRomanianConversationAsync();
        using var oksana = await StaffTokens.ClientForAsync(_app, "oksana", "counsellor");

        Assert.Equal(HttpStatusCode.Forbidden, (await oksana.GetAsync(Api($"conversations/{id}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await oksana.PostAsync(Api($"conversations/{id}/accept"), null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await oksana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "hi" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await oksana.PostAsync(Api($"conversations/{id}/close"), null)).StatusCode);
        var list = await oksana.GetFromJsonAsync<JsonElement>(Api("conversations"));
        Assert.DoesNotContain(list.EnumerateArray(), c => c.GetProperty("id").GetString() == id);
        Assert.Single(await _app.Services.GetRequiredService<IConversationStore>().MessagesAsync(id));
    }

    [Fact]
    public async Task A_supervisor_sees_every_conversation_and_anonymous_requests_are_401()
    {
        var id = await IncomingRomanianConversationAsync();
        using var supervisor = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");

        var list = await supervisor.GetFromJsonAsync<JsonElement>(Api("conversations"));
        Assert.Contains(list.EnumerateArray(), c => c.GetProperty("id").GetString() == id);
        Assert.Equal(HttpStatusCode.OK, (await supervisor.GetAsync(Api($"conversations/{id}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.Http.GetAsync(Api("conversations"))).StatusCode);
        using var partner = await StaffTokens.ClientForAsync(_app, "agency", "partner");
        Assert.Equal(HttpStatusCode.Forbidden, (await partner.GetAsync(Api("conversations"))).StatusCode);
    }

    [Fact]
    public async Task Replies_are_refused_until_accepted_and_when_too_long()
    {
        var id = await IncomingRomanianConversationAsync();
        using var ioana = await StaffTokens.ClientForAsync(_app, "ioana", "counsellor");

        Assert.Equal(HttpStatusCode.Conflict, (await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "hi" })).StatusCode);
        await ioana.PostAsync(Api($"conversations/{id}/accept"), null);
        Assert.Equal(HttpStatusCode.BadRequest, (await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = new string('x', 1601) })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = " " })).StatusCode);
    }

    private async Task<string> IncomingRomanianConversationAsync()
    {
        await new TwilioWebhookClient(_app).SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");
        var store = _app.Services.GetRequiredService<IConversationStore>();
        var offered = await Eventually.ReturnsAsync(async () =>
            (await store.ListOpenAsync("ioana")).FirstOrDefault(c => c.Status == ConversationStatus.Offered), "the offer to Ioana");
        return offered.Id;
    }

    private static Uri Api(string path) => new("/api/" + path, UriKind.Relative);
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Conversations;
using Hotline.Privacy;
using Hotline.Routing;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Sms;

/// <summary>
/// Blocking an abusive caller by pseudonym: only a supervisor can, with a reason and a time limit; the caller's
/// messages are then dropped unstored and unanswered; erasing their data does not lift it; lifting it does.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class CallerBlockTests : IAsyncLifetime
{
    private const string Caller = "+40722000333";
    private RunningApp _app = null!;
    private TwilioWebhookClient _twilio = null!;

    public async Task InitializeAsync()
    {
        _app = await RunningApp.StartWithRosterAsync([new("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 2)]);
        _twilio = new TwilioWebhookClient(_app);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private IConversationStore Store => _app.Services.GetRequiredService<IConversationStore>();

    [Fact]
    public async Task A_blocked_callers_messages_are_dropped_unanswered_until_a_supervisor_lifts_the_block()
    {
        var first = await OfferedConversationAsync("Bună ziua, am nevoie de ajutor");
        Assert.Equal(1, first.CallerContacts);
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");

        var blocked = await sam.PostAsJsonAsync(Api($"conversations/{first.Id}/block"), new { reason = "threats against staff", days = 7 });

        Assert.Equal(HttpStatusCode.OK, blocked.StatusCode);
        var block = await blocked.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(first.CallerPseudonym, block.GetProperty("caller").GetString());
        Assert.Equal("sam", block.GetProperty("blockedBy").GetString());
        Assert.True(block.GetProperty("active").GetBoolean());
        var until = block.GetProperty("until").GetDateTimeOffset() - block.GetProperty("blockedAt").GetDateTimeOffset();
        Assert.Equal(TimeSpan.FromDays(7), until);
        var closed = (await Store.FindAsync(first.Id))!;
        Assert.Equal(ConversationStatus.Closed, closed.Status);
        Assert.Equal("closed: caller blocked", closed.Hops[^1].Reason);
        Assert.Equal(0, (await _app.Services.GetRequiredService<ICounsellorLoads>().OpenCountsAsync()).GetValueOrDefault("ioana"));

        var answer = await _twilio.SendSmsAsync(Caller, "Vă mai scriu o dată");

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.DoesNotContain("<Message>", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null((await CallerAsync())!.OpenConversationId);
        Assert.Single(await Store.MessagesAsync(first.Id)); // nothing joined the closed conversation either
        Assert.Empty(await Store.ListOpenSummariesAsync());

        var list = await sam.GetFromJsonAsync<JsonElement>(Api("blocks"));
        Assert.Equal("threats against staff", Assert.Single(list.EnumerateArray()).GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await sam.DeleteAsync(Api($"blocks/{first.CallerPseudonym}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await sam.DeleteAsync(Api($"blocks/{first.CallerPseudonym}"))).StatusCode);

        var again = await _twilio.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");
        Assert.Contains("<Message>", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var second = await OfferedConversationAsync(text: null);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(2, second.CallerContacts); // the counsellor sees a repeat contact
    }

    [Fact]
    public async Task Erasing_their_data_does_not_lift_a_block_and_a_lapsed_block_no_longer_applies()
    {
        var pseudonym = await _app.Services.GetRequiredService<CallerPseudonymizer>().PseudonymOfAsync(Caller);
        var now = DateTimeOffset.UtcNow;
        await Store.BlockCallerAsync(new CallerBlock(pseudonym, "abuse", "sam", now, now.AddDays(1)));

        var erased = await _twilio.SendSmsAsync(Caller, "STERGE");
        Assert.Contains("<Message>", await erased.Content.ReadAsStringAsync(), StringComparison.Ordinal); // erasure is confirmed
        var dropped = await _twilio.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");
        Assert.DoesNotContain("<Message>", await dropped.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await Store.ListOpenSummariesAsync());

        await Store.BlockCallerAsync(new CallerBlock(pseudonym, "abuse", "sam", now.AddDays(-31), now.AddMinutes(-1)));
        var answered = await _twilio.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");
        Assert.Contains("<Message>", await answered.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var list = await (await StaffTokens.ClientForAsync(_app, "sam", "supervisor")).GetFromJsonAsync<JsonElement>(Api("blocks"));
        Assert.False(Assert.Single(list.EnumerateArray()).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Only_a_supervisor_blocks_and_only_with_a_reason_and_a_limit()
    {
        var conversation = await OfferedConversationAsync("Bună ziua, am nevoie de ajutor");
        using var ioana = await StaffTokens.ClientForAsync(_app, "ioana", "counsellor");
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");

        Assert.Equal(HttpStatusCode.Forbidden, (await ioana.PostAsJsonAsync(Api($"conversations/{conversation.Id}/block"), new { reason = "abuse" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ioana.GetAsync(Api("blocks"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ioana.DeleteAsync(Api($"blocks/{conversation.CallerPseudonym}"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await sam.PostAsJsonAsync(Api($"conversations/{conversation.Id}/block"), new { reason = " " })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await sam.PostAsJsonAsync(Api($"conversations/{conversation.Id}/block"), new { reason = "abuse", days = 366 })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await sam.PostAsJsonAsync(Api("conversations/c-00000000000000000000/block"), new { reason = "abuse" })).StatusCode);

        Assert.Null((await CallerAsync())!.Block);
        Assert.Equal(ConversationStatus.Offered, (await Store.FindAsync(conversation.Id))!.Status);
    }

    private async Task<CallerRecord?> CallerAsync() =>
        await Store.FindCallerAsync(await _app.Services.GetRequiredService<CallerPseudonymizer>().PseudonymOfAsync(Caller));

    private async Task<Conversation> OfferedConversationAsync(string? text)
    {
        if (text is not null)
        {
            await _twilio.SendSmsAsync(Caller, text);
        }

        return await Eventually.ReturnsAsync(async () =>
            await CallerAsync() is { OpenConversationId: { } id } && await Store.FindAsync(id) is { Status: ConversationStatus.Offered } c ? c : null,
            "the offer");
    }

    private static Uri Api(string path) => new("/api/" + path, UriKind.Relative);
}

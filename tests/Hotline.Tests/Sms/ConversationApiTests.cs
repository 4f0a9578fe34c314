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
    public async Task Another_counsellor_can_neither_read_nor_answer_nor_accept_nor_close_the_conversation_which_to_them_does_not_exist()
    {
        var id = await IncomingRomanianConversationAsync();
        using var oksana = await StaffTokens.ClientForAsync(_app, "oksana", "counsellor");

        Assert.Equal(HttpStatusCode.NotFound, (await oksana.GetAsync(Api($"conversations/{id}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await oksana.PostAsync(Api($"conversations/{id}/accept"), null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await oksana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "hi" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await oksana.PostAsync(Api($"conversations/{id}/close"), null)).StatusCode);
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

    [Fact]
    public async Task A_counsellor_transfers_a_conversation_to_another_language_pool_and_it_is_offered_there()
    {
        var id = await IncomingRomanianConversationAsync();
        using var ioana = await StaffTokens.ClientForAsync(_app, "ioana", "counsellor");
        using var oksana = await StaffTokens.ClientForAsync(_app, "oksana", "counsellor");
        Assert.Equal(HttpStatusCode.NotFound, (await oksana.PostAsJsonAsync(Api($"conversations/{id}/transfer"), new { language = "uk" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ioana.PostAsJsonAsync(Api($"conversations/{id}/transfer"), new { language = "xx" })).StatusCode);

        var moved = await ioana.PostAsJsonAsync(Api($"conversations/{id}/transfer"), new { language = "uk" });

        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        var conversation = (await _app.Services.GetRequiredService<IConversationStore>().FindAsync(id))!;
        Assert.Equal(("uk", "oksana", ConversationStatus.Offered), (conversation.Language, conversation.AssignedTo, conversation.Status));
        Assert.Contains(conversation.Hops, h => h.CounsellorId == "ioana" && h.Reason == "transferred to uk");
        var loads = await _app.Services.GetRequiredService<Hotline.Routing.ICounsellorLoads>().OpenCountsAsync();
        Assert.Equal((0, 1), (loads.GetValueOrDefault("ioana"), loads.GetValueOrDefault("oksana")));
        Assert.Equal(HttpStatusCode.NotFound, (await ioana.GetAsync(Api($"conversations/{id}"))).StatusCode);
    }

    [Fact]
    public async Task Intake_is_recorded_only_with_the_callers_approval_validated_encrypted_and_shown_with_the_conversation()
    {
        var id = await IncomingRomanianConversationAsync();
        using var ioana = await StaffTokens.ClientForAsync(_app, "ioana", "counsellor");
        using var oksana = await StaffTokens.ClientForAsync(_app, "oksana", "counsellor");
        const string Note = "Works on a farm near Timișoara; passport kept by the farm manager";
        var intake = new
        {
            callerApproved = true, callType = "reporting-trafficking", callerRole = "victim", gender = "female", ageGroup = "25-34",
            nationality = "Moldovan", exploitationForm = "labour", sector = "agriculture",
            indicators = new[] { "retention-of-identity-documents", "withholding-of-wages" }, source = "social-media", note = Note,
            repeatContact = false, complicatedCase = true,
        };

        var unapproved = await ioana.PutAsJsonAsync(Api($"conversations/{id}/intake"), intake with { callerApproved = false });
        Assert.Equal(HttpStatusCode.BadRequest, unapproved.StatusCode);
        Assert.Contains("approval", await unapproved.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var invalid = await ioana.PutAsJsonAsync(Api($"conversations/{id}/intake"), intake with { callType = "gossip" });
        Assert.Contains("'callType' must be one of", await invalid.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await oksana.PutAsJsonAsync(Api($"conversations/{id}/intake"), intake)).StatusCode);
        Assert.Null(await _app.Services.GetRequiredService<IConversationStore>().FindIntakeAsync(id));

        Assert.Equal(HttpStatusCode.OK, (await ioana.PutAsJsonAsync(Api($"conversations/{id}/intake"), intake)).StatusCode);

        var detail = await ioana.GetFromJsonAsync<JsonElement>(Api($"conversations/{id}"));
        var saved = detail.GetProperty("intake");
        Assert.Equal("reporting-trafficking", saved.GetProperty("callType").GetString());
        Assert.Equal(["retention-of-identity-documents", "withholding-of-wages"], saved.GetProperty("indicators").EnumerateArray().Select(i => i.GetString()));
        Assert.Equal(Note, saved.GetProperty("note").GetString());
        Assert.Equal("ioana", saved.GetProperty("recordedBy").GetString());
        Assert.True(saved.GetProperty("complicatedCase").GetBoolean());
        Assert.DoesNotContain("Timișoara", await StoredData.EverythingAsync(_app), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Me_tells_a_counsellor_their_roster_entry_and_the_hotlines_languages()
    {
        using var ioana = await StaffTokens.ClientForAsync(_app, "ioana", "counsellor");
        var me = await ioana.GetFromJsonAsync<JsonElement>(Api("me"));
        Assert.Equal("ioana", me.GetProperty("id").GetString());
        Assert.Equal(["counsellor"], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(["ro"], me.GetProperty("counsellor").GetProperty("languages").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(12, me.GetProperty("hotlineLanguages").GetArrayLength());
    }

    [Fact]
    public async Task The_board_counts_contacts_per_channel_and_the_wait_to_acceptance_for_supervisors_only()
    {
        var id = await IncomingRomanianConversationAsync();
        using var ioana = await StaffTokens.ClientForAsync(_app, "ioana", "counsellor");
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        Assert.Equal(HttpStatusCode.Forbidden, (await ioana.GetAsync(Api("board"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ioana.GetAsync(Api("board/history"))).StatusCode);

        var now = await sam.GetFromJsonAsync<JsonElement>(Api("board"));
        var waiting = Assert.Single(now.GetProperty("waiting").EnumerateArray());
        Assert.Equal(("ro", 1), (waiting.GetProperty("language").GetString(), waiting.GetProperty("count").GetInt32()));
        var coverage = now.GetProperty("coverage").EnumerateArray().ToDictionary(c => c.GetProperty("language").GetString()!);
        Assert.False(coverage["ro"].GetProperty("gap").GetBoolean());
        Assert.True(coverage["zh"].GetProperty("gap").GetBoolean());
        var ioanasLoad = now.GetProperty("counsellors").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "ioana");
        Assert.Equal((1, 2), (ioanasLoad.GetProperty("open").GetInt32(), ioanasLoad.GetProperty("capacity").GetInt32()));

        (await ioana.PostAsync(Api($"conversations/{id}/accept"), null)).EnsureSuccessStatusCode();
        Assert.Empty((await sam.GetFromJsonAsync<JsonElement>(Api("board"))).GetProperty("waiting").EnumerateArray());
        var history = await sam.GetFromJsonAsync<JsonElement>(Api("board/history"));
        var days = history.GetProperty("contactsByDay").EnumerateArray().ToList();
        Assert.Equal(14, days.Count);
        Assert.Equal((1, 0), (days[^1].GetProperty("sms").GetInt32(), days[^1].GetProperty("chat").GetInt32()));
        var ro = Assert.Single(history.GetProperty("waitsByLanguage").EnumerateArray());
        Assert.Equal("ro", ro.GetProperty("language").GetString());
        var point = Assert.Single(ro.GetProperty("points").EnumerateArray());
        Assert.Equal(1, point.GetProperty("count").GetInt32());
        Assert.InRange(point.GetProperty("averageWaitSeconds").GetDouble(), 0, 60);
    }

    [Fact]
    public async Task A_reply_written_to_a_conversation_closed_a_moment_earlier_is_not_stored_and_the_counsellor_is_told()
    {
        var id = await IncomingRomanianConversationAsync();
        using var ioana = await StaffTokens.ClientForAsync(_app, "ioana", "counsellor");
        (await ioana.PostAsync(Api($"conversations/{id}/accept"), null)).EnsureSuccessStatusCode();
        var store = _app.Services.GetRequiredService<IConversationStore>();
        var asRead = (await store.FindAsync(id))!;

        // The supervisor closes it between the counsellor's read and write.
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        (await sam.PostAsync(Api($"conversations/{id}/close"), null)).EnsureSuccessStatusCode();
        var late = new ConversationMessage("late1", MessageDirection.Outbound, new Hotline.Privacy.SensitiveText("Sunteți acolo?"), DateTimeOffset.UtcNow, "ioana");

        Assert.False(await store.AppendIfUnchangedAsync(id, late, asRead.Version!));
        Assert.DoesNotContain(await store.MessagesAsync(id), m => m.Id == "late1");
        var refused = await ioana.PostAsJsonAsync(Api($"conversations/{id}/messages"), new { text = "Sunteți acolo?" });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("closed; the reply was not sent", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
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

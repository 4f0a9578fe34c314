using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Data.Tables;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Storage;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Roster;

/// <summary>
/// A counsellor's phone through the roster API, over real HTTP on Azurite: set by the counsellor or a supervisor,
/// answered only masked, stored only encrypted under a key of its own, and never logged.
/// </summary>
public sealed class RosterPhoneTests : IAsyncLifetime
{
    private const string E164 = "+447700900321";
    private const string Typed = "+44 7700 900321";
    private readonly string _id = TestEnvironment.UniqueName("c");
    private RunningApp _app = null!;

    private IRosterStore Roster => _app.Services.GetRequiredService<IRosterStore>();

    public async Task InitializeAsync()
    {
        _app = await RunningApp.StartAsync();
        await Roster.SaveAsync(new Counsellor(_id, "Ioana", ["ro"], OnCall: true, Capacity: 2));
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_counsellor_sets_their_own_phone_and_every_answer_shows_it_masked()
    {
        using var counsellor = await StaffTokens.ClientForAsync(_app, _id, "counsellor");
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");

        var set = await counsellor.PutAsJsonAsync(Api("me/phone"), new { phoneNumber = Typed, takesCallsOnPhone = true });
        var setBody = await set.Content.ReadAsStringAsync();
        var me = await counsellor.GetStringAsync(Api("me"));
        var roster = await sam.GetStringAsync(Api("roster"));

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        foreach (var answer in new[] { setBody, me, roster })
        {
            AssertHoldsNoNumber(answer);
        }

        var entry = JsonDocument.Parse(roster).RootElement.EnumerateArray().Single(c => c.GetProperty("id").GetString() == _id);
        Assert.Equal("•••• 0321", entry.GetProperty("maskedPhoneNumber").GetString());
        Assert.True(entry.GetProperty("takesCallsOnPhone").GetBoolean());
        Assert.Equal("•••• 0321", JsonDocument.Parse(me).RootElement.GetProperty("counsellor").GetProperty("maskedPhoneNumber").GetString());

        // The voice line gets the real number, normalised.
        var stored = await Roster.FindAsync(_id);
        Assert.Equal(E164, stored!.Phone!.Reveal());
        Assert.True(stored.TakesCallsOnPhone);
        Assert.Equal("Ioana", stored.DisplayName);
    }

    [Fact]
    public async Task A_field_left_out_is_kept_a_null_number_clears_both_and_a_supervisors_roster_edit_keeps_the_phone()
    {
        using var counsellor = await StaffTokens.ClientForAsync(_app, _id, "counsellor");
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        (await counsellor.PutAsJsonAsync(Api("me/phone"), new { phoneNumber = Typed })).EnsureSuccessStatusCode();
        Assert.False((await Roster.FindAsync(_id))!.TakesCallsOnPhone);

        (await counsellor.PutAsJsonAsync(Api("me/phone"), new { takesCallsOnPhone = true })).EnsureSuccessStatusCode();
        Assert.Equal((E164, true), await PhoneLineAsync());

        (await sam.PutAsJsonAsync(Api($"roster/{_id}"), new { displayName = "Ioana P.", languages = new[] { "ro", "en" }, onCall = true, capacity = 3 }))
            .EnsureSuccessStatusCode();
        Assert.Equal((E164, true), await PhoneLineAsync());

        var cleared = await counsellor.PutAsync(Api("me/phone"), Json("""{"phoneNumber":null}"""));
        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        Assert.Equal(((string?)null, false), await PhoneLineAsync());
        var entry = await cleared.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Null, entry.GetProperty("maskedPhoneNumber").ValueKind);
        Assert.False(entry.GetProperty("takesCallsOnPhone").GetBoolean());
    }

    [Theory]
    [InlineData("""{"phoneNumber":"07700 900321"}""", "international form")]
    [InlineData("""{"phoneNumber":"+44 7700 900321 ext. 9"}""", "only digits")]
    [InlineData("""{"phoneNumber":"+44 77"}""", "too short")]
    [InlineData("""{"phoneNumber":"+44 7700 900321 1"}""", "too long")]
    [InlineData("""{"takesCallsOnPhone":true}""", "needs a phone number")]
    [InlineData("""{}""", "is required")]
    public async Task A_malformed_number_or_a_phone_line_without_a_number_is_400_with_the_reason_and_nothing_changes(string body, string reason)
    {
        using var counsellor = await StaffTokens.ClientForAsync(_app, _id, "counsellor");

        var response = await counsellor.PutAsync(Api("me/phone"), Json(body));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, text, StringComparison.Ordinal);
        Assert.DoesNotContain("900321", text, StringComparison.Ordinal);
        Assert.Equal(((string?)null, false), await PhoneLineAsync());
    }

    [Fact]
    public async Task A_supervisor_sets_anyones_phone_a_counsellor_only_their_own()
    {
        var other = TestEnvironment.UniqueName("c");
        await Roster.SaveAsync(new Counsellor(other, "Mihai", ["ro"], OnCall: true, Capacity: 2));
        using var counsellor = await StaffTokens.ClientForAsync(_app, _id, "counsellor");
        using var partner = await StaffTokens.ClientForAsync(_app, "agency", "partner");
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        var body = new { phoneNumber = Typed, takesCallsOnPhone = true };

        Assert.Equal(HttpStatusCode.Forbidden, (await counsellor.PutAsJsonAsync(Api($"roster/{other}/phone"), body)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await counsellor.PutAsJsonAsync(Api($"roster/{_id}/phone"), body)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await partner.PutAsJsonAsync(Api("me/phone"), body)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.Http.PutAsJsonAsync(Api("me/phone"), body)).StatusCode);
        Assert.Null((await Roster.FindAsync(other))!.Phone);
        Assert.Null((await Roster.FindAsync(_id))!.Phone);

        var set = await sam.PutAsJsonAsync(Api($"roster/{other}/phone"), body);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        AssertHoldsNoNumber(await set.Content.ReadAsStringAsync());
        Assert.Equal(E164, (await Roster.FindAsync(other))!.Phone!.Reveal());
        Assert.Null((await Roster.FindAsync(_id))!.Phone);

        // Someone not on the roster: 404, for the supervisor's route and for the counsellor's own.
        Assert.Equal(HttpStatusCode.NotFound, (await sam.PutAsJsonAsync(Api("roster/nobody-here/phone"), body)).StatusCode);
        using var stranger = await StaffTokens.ClientForAsync(_app, TestEnvironment.UniqueName("c"), "counsellor");
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PutAsJsonAsync(Api("me/phone"), body)).StatusCode);
    }

    [Fact]
    public async Task The_number_set_through_the_api_is_in_no_table_and_no_log_and_the_callers_keys_do_not_open_it()
    {
        using var counsellor = await StaffTokens.ClientForAsync(_app, _id, "counsellor");
        (await counsellor.PutAsJsonAsync(Api("me/phone"), new { phoneNumber = Typed, takesCallsOnPhone = true })).EnsureSuccessStatusCode();
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        (await sam.GetAsync(Api("roster"))).EnsureSuccessStatusCode();

        // Tables, queues and the worker's logs; then what the Functions host logged.
        var everything = await StoredData.EverythingAsync(_app) + "\n" + _app.HostLogs.AllText;
        Assert.Contains("TakesCallsOnPhone=True", everything, StringComparison.Ordinal); // the roster row was scanned
        Assert.All(StoredData.FormsOf(E164, "07700900321").Append("900321"), form => Assert.DoesNotContain(form, everything, StringComparison.Ordinal));
        // Logs pass redaction, which would mask a logged number: its mask must not appear either.
        Assert.DoesNotContain(SensitiveDataScrubber.PhoneMask, _app.Logs.AllText + _app.HostLogs.AllText, StringComparison.Ordinal);

        // Stored encrypted under the roster's own key, bound to the counsellor: a caller-data key does not open it.
        var table = _app.Services.GetRequiredService<StorageAccount>().Table(TableNames.Roster);
        var sealedPhone = (await table.GetEntityAsync<TableEntity>("counsellor", _id)).Value.GetString("Phone");
        Assert.StartsWith("v1.", sealedPhone, StringComparison.Ordinal);
        Assert.Equal(E164, await _app.Services.GetRequiredService<CounsellorPhoneProtector>().UnprotectAsync(sealedPhone, _id));
        await Assert.ThrowsAnyAsync<CryptographicException>(async () =>
            await _app.Services.GetRequiredService<ReplyAddressProtector>().UnprotectAsync(sealedPhone, _id));
        await Assert.ThrowsAnyAsync<CryptographicException>(async () =>
            await _app.Services.GetRequiredService<CounsellorPhoneProtector>().UnprotectAsync(sealedPhone, "someone-else"));
    }

    private async Task<(string? Phone, bool TakesCalls)> PhoneLineAsync()
    {
        var c = (await Roster.FindAsync(_id))!;
        return (c.Phone?.Reveal(), c.TakesCallsOnPhone);
    }

    private static void AssertHoldsNoNumber(string answer)
    {
        Assert.DoesNotContain("900321", answer, StringComparison.Ordinal); // the masked form ends "0321"
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    private static Uri Api(string path) => new("/api/" + path, UriKind.Relative);
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Callbacks;
using Hotline.Conversations;
using Hotline.Messaging;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Chat;

/// <summary>
/// Asking for a callback from the web chat, over real HTTP on Azurite: one waiting request per form however often it
/// is resent, refusals in her language, only her own session's conversation, and her number and code word nowhere
/// but in the callback secrets.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class ChatCallbackApiTests : IAsyncLifetime
{
    private const string Zone = "Europe/Bucharest";
    private const string NationalNumber = "0722 000 113";
    private const string E164 = "+40722000113";
    private const string CodeWord = "лаванда";
    private RunningApp _app = null!;

    public async Task InitializeAsync() =>
        // Nobody on call: every chat gets the out-of-hours answer.
        _app = await RunningApp.StartWithRosterAsync(
            [new Counsellor("oksana", "Oksana", ["uk"], OnCall: false, Capacity: 3)],
            new Dictionary<string, string?>
            {
                ["LocalFunctionsHost:Enabled"] = "false",
                ["Chat:PhoneRegion"] = "RO",
                ["Callbacks:TimeZone"] = Zone,
            });

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private CallerTexts Texts => _app.Services.GetRequiredService<CallerTexts>();

    private ICallbackStore Callbacks => _app.Services.GetRequiredService<ICallbackStore>();

    [Fact]
    public async Task Out_of_hours_a_callback_is_offered_and_the_form_makes_one_waiting_request_with_her_times_language_and_secrets_however_often_resent()
    {
        var token = await StartSessionAsync();
        var first = await SendAsync(token, "Мені потрібно поговорити", "uk");
        Assert.True((await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("offerCallback").GetBoolean());
        var form = new { id = NewId(), number = NationalNumber, when = "18-20", mayLeaveMessage = true, codeWord = CodeWord, language = "uk" };

        var answer = await CallbackAsync(token, form);
        var made = Assert.Single(await Callbacks.ListOpenAsync());
        var resent = await CallbackAsync(token, form);

        // Resent, the form is the same request: not a second one (which would also have cancelled the first).
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, resent.StatusCode);
        var request = Assert.Single(await Callbacks.ListOpenAsync());
        Assert.Equal(made.Id, request.Id);
        Assert.Equal(CallbackStatus.Waiting, request.Status);
        Assert.Equal(("uk", Channels.Chat, true, Zone), (request.Language, request.Channel, request.MayLeaveMessage, request.TimeZone));
        var zone = TimeZoneInfo.FindSystemTimeZoneById(Zone);
        Assert.InRange(request.Windows.Count, 6, 8); // 18:00–20:00 on her clock, every day for a week
        Assert.All(request.Windows, w =>
        {
            // The first window may start now and the last end at the request's expiry (a week after it was made).
            Assert.True(TimeZoneInfo.ConvertTime(w.End, zone).TimeOfDay == TimeSpan.FromHours(20) || w.End >= request.ExpiresAt.AddMinutes(-1));
            Assert.True(TimeZoneInfo.ConvertTime(w.Start, zone).TimeOfDay == TimeSpan.FromHours(18) || w.Start <= request.RequestedAt.AddMinutes(1));
        });
        Assert.Equal(new CallbackSecrets(E164, CodeWord), await _app.Services.GetRequiredService<ICallbackSecrets>().ReadAsync(request.Id));
        var conversation = Assert.Single(await _app.Services.GetRequiredService<IConversationStore>().ListOpenAsync());
        Assert.Equal(request.Id, conversation.CallbackRequestId);

        // The confirmation says her times back in Ukrainian, and nothing else of what she gave.
        var intake = _app.Services.GetRequiredService<CallbackIntake>();
        var expected = Texts.Get("uk", CallerText.ChatCallbackSent, new Dictionary<string, string> { ["Windows"] = intake.Describe(request.Windows, "uk") });
        var body = await answer.Content.ReadAsStringAsync();
        Assert.Equal(expected, JsonDocument.Parse(body).RootElement.GetProperty("confirmation").GetString());
        Assert.Equal(body, await resent.Content.ReadAsStringAsync());
        Assert.Contains("18:00–20:00", expected, StringComparison.Ordinal);

        // Neither the number (in any form) nor the code word is in the conversation, a table, a queue or a log.
        var transcript = string.Join('\n', (await PollAsync(token)).GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        var everything = await StoredData.EverythingAsync(_app) + _app.HostLogs.AllText + transcript + body;
        foreach (var secret in new[] { "722000113", "722 000 113", CodeWord })
        {
            Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_number_or_a_time_that_cannot_be_used_is_refused_with_the_reason_in_her_language_and_nothing_is_requested()
    {
        var token = await StartSessionAsync();
        await SendAsync(token, "Мені потрібно поговорити", "uk");
        var refusals = new (string Number, string When, CallerText Reason, string Field)[]
        {
            ("", "18-20", CallerText.ChatCallbackNumberMissing, "number"),
            ("0722 12", "18-20", CallerText.ChatCallbackNumberCheck, "number"),
            ("0900 123 456", "18-20", CallerText.ChatCallbackNumberNotPersonal, "number"), // premium rate
            ("+999 123 456 789", "18-20", CallerText.ChatCallbackNumberCountryCode, "number"),
            (NationalNumber, "коли-небудь потім", CallerText.ChatCallbackWhenNotUnderstood, "when"),
            (NationalNumber, "", CallerText.ChatCallbackWhenNotUnderstood, "when"),
        };

        foreach (var (number, when, reason, field) in refusals)
        {
            var answer = await CallbackAsync(token, new { id = NewId(), number, when, mayLeaveMessage = false, codeWord = CodeWord, language = "uk" });
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            var problem = await answer.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(Texts.Get("uk", reason), problem.GetProperty("detail").GetString());
            Assert.Equal(field, problem.GetProperty("field").GetString());
            Assert.DoesNotContain(CodeWord, problem.ToString(), StringComparison.Ordinal);
        }

        Assert.Empty(await Callbacks.ListOpenAsync());
        Assert.Null(Assert.Single(await _app.Services.GetRequiredService<IConversationStore>().ListOpenAsync()).CallbackRequestId);
    }

    [Fact]
    public async Task A_session_asks_only_for_its_own_conversation_and_an_invented_or_missing_token_not_at_all()
    {
        var hers = await StartSessionAsync();
        await SendAsync(hers, "Мені потрібно поговорити", "uk");
        var store = _app.Services.GetRequiredService<IConversationStore>();
        var herConversation = Assert.Single(await store.ListOpenAsync());
        var form = new { id = NewId(), number = NationalNumber, when = "18-20", mayLeaveMessage = false, codeWord = (string?)null, language = "uk" };

        // Another session that has written nothing has no conversation to ask on: hers is not reachable from it.
        var other = await StartSessionAsync();
        var refused = await CallbackAsync(other, form);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal(Texts.Get("uk", CallerText.ChatCallbackNoChat), (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        var invented = Convert.ToBase64String(new byte[32]).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallbackAsync(invented, form)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.Http.PostAsJsonAsync(Api("chat/callback"), form)).StatusCode);
        Assert.Empty(await Callbacks.ListOpenAsync());

        // With a conversation of its own, the same form (same id) asks on that one only.
        await SendAsync(other, "Мені теж", "uk");
        Assert.Equal(HttpStatusCode.OK, (await CallbackAsync(other, form)).StatusCode);
        var request = Assert.Single(await Callbacks.ListOpenAsync());
        Assert.NotEqual(herConversation.Id, request.ConversationId);
        Assert.Null((await store.FindAsync(herConversation.Id))!.CallbackRequestId);

        // A session that left can ask no more.
        (await Session(other).PostAsync(Api("chat/leave"), null)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallbackAsync(other, form with { id = NewId() })).StatusCode);
    }

    [Fact]
    public async Task A_large_body_is_refused_unread_and_a_flood_of_forms_gets_429()
    {
        var token = await StartSessionAsync();
        await SendAsync(token, "Мені потрібно поговорити", "uk");
        var large = await CallbackAsync(token, new { id = NewId(), number = NationalNumber, when = new string('x', 5000) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            statuses.Add((await CallbackAsync(token, new { id = NewId(), number = "0722 12", when = "18-20", language = "uk" })).StatusCode);
        }

        Assert.Contains(HttpStatusCode.BadRequest, statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
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

    private async Task<HttpResponseMessage> SendAsync(string token, string text, string language)
    {
        var response = await Session(token).PostAsJsonAsync(Api("chat/messages"), new { id = NewId(), text, language });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }

    private async Task<HttpResponseMessage> CallbackAsync<T>(string token, T form) =>
        await Session(token).PostAsJsonAsync(Api("chat/callback"), form);

    private async Task<JsonElement> PollAsync(string token) =>
        await Session(token).GetFromJsonAsync<JsonElement>(Api("chat/messages"));

    private static string NewId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

    private static Uri Api(string path) => new("/api/" + path, UriKind.Relative);
}

using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Conversations;
using Hotline.Escalations;
using Hotline.Privacy;
using Hotline.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Hotline.Tests.Escalations;

/// <summary>
/// <c>GET /api/escalations</c> over real HTTP: the <c>status</c> filter (each state an escalation can be in), the
/// <c>from</c>/<c>to</c> range (inclusive at both ends, any offset), and filters combined. The escalations are raised
/// days apart on a fake clock by the app's own <see cref="EmergencyRaiser"/>; their referrals are put in the store in
/// the state each test needs, and one is acknowledged through the API as an agency does.
/// </summary>
public sealed class EscalationFilterTests(EscalationFilterTests.SeededLog log) : IClassFixture<EscalationFilterTests.SeededLog>
{
    [Fact]
    public async Task Each_escalation_reports_its_state_and_the_status_filter_returns_exactly_the_escalations_in_that_state()
    {
        var all = await log.ListAsync("");
        Assert.Equal([log.E6, log.E5, log.E4, log.E3, log.E2, log.E1], all.Select(e => e.Id)); // newest first
        Assert.Equal(
            [("overdue", true), ("sent", true), ("acknowledged", false), ("sent", false), ("queued", false), ("raised", false)],
            all.Select(e => (e.Status, e.Overdue)));
        Assert.Equal(Enumerable.Reverse(log.RaisedAt), all.Select(e => e.RaisedAt));

        Assert.Equal([log.E1], await log.IdsAsync("?status=raised"));
        Assert.Equal([log.E2], await log.IdsAsync("?status=queued"));
        Assert.Equal([log.E5, log.E3], await log.IdsAsync("?status=sent"));
        Assert.Equal([log.E4], await log.IdsAsync("?status=acknowledged"));
        Assert.Equal([log.E6], await log.IdsAsync("?status=overdue"));

        Assert.Equal([log.E6, log.E5], await log.IdsAsync("?overdue=true"));
        Assert.Equal([log.E4, log.E3, log.E2, log.E1], await log.IdsAsync("?overdue=false"));
    }

    [Fact]
    public async Task From_and_to_include_an_escalation_raised_exactly_at_either_end_and_exclude_one_a_millisecond_outside()
    {
        var e3 = log.RaisedAt[2];
        var ms = TimeSpan.FromMilliseconds(1);

        Assert.Equal([log.E6, log.E5, log.E4, log.E3], await log.IdsAsync($"?from={Utc(e3)}"));
        Assert.Equal([log.E6, log.E5, log.E4], await log.IdsAsync($"?from={Utc(e3 + ms)}"));
        Assert.Equal([log.E3, log.E2, log.E1], await log.IdsAsync($"?to={Utc(e3)}"));
        Assert.Equal([log.E2, log.E1], await log.IdsAsync($"?to={Utc(e3 - ms)}"));

        // A range holding exactly one escalation; the same instant in another offset; a range between two escalations.
        Assert.Equal([log.E3], await log.IdsAsync($"?from={Utc(e3)}&to={Utc(e3)}"));
        Assert.Equal([log.E3], await log.IdsAsync($"?from={Offset(e3, +2)}&to={Offset(e3, -5)}"));
        Assert.Equal([log.E4, log.E3], await log.IdsAsync($"?from={Utc(log.Day(4))}&to={Utc(log.Day(8))}")); // what the page sends for days 4 to 7
        Assert.Empty(await log.IdsAsync($"?from={Utc(log.RaisedAt[0] + ms)}&to={Utc(log.RaisedAt[1] - ms)}"));
        Assert.Empty(await log.IdsAsync($"?from={Utc(log.Day(8))}&to={Utc(log.Day(4))}")); // from after to: nothing

        Assert.Equal(HttpStatusCode.BadRequest, (await log.Sam.GetAsync(new Uri("/api/escalations?from=yesterday", UriKind.Relative))).StatusCode);
        var misspelt = await log.Sam.GetAsync(new Uri("/api/escalations?status=Sent", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, misspelt.StatusCode); // not an empty list that reads as "nothing sent"
        Assert.Contains("acknowledged", await misspelt.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Filters_combine_an_escalation_is_listed_only_when_it_passes_every_one()
    {
        // status and overdue: E5 was failed over (its backup's referral is sent) and is still overdue; E3 is simply sent.
        Assert.Equal([log.E5], await log.IdsAsync("?status=sent&overdue=true"));
        Assert.Equal([log.E3], await log.IdsAsync("?status=sent&overdue=false"));
        Assert.Empty(await log.IdsAsync("?status=acknowledged&overdue=true"));

        // status and agency: E5 went to la-strada and then to its backup; E3 only to la-strada.
        Assert.Equal([log.E5, log.E3], await log.IdsAsync("?status=sent&agency=la-strada"));
        Assert.Equal([log.E5], await log.IdsAsync("?status=sent&agency=backup-agency"));
        Assert.Equal([log.E6, log.E4], await log.IdsAsync("?agency=other-agency"));
        Assert.Equal([log.E4], await log.IdsAsync("?agency=other-agency&status=acknowledged"));
        Assert.Empty(await log.IdsAsync("?agency=la-strada&status=acknowledged"));
        Assert.Empty(await log.IdsAsync("?agency=other-agency&status=raised"));

        // status and dates.
        Assert.Equal([log.E5], await log.IdsAsync($"?status=sent&from={Utc(log.Day(6))}"));
        Assert.Equal([log.E3], await log.IdsAsync($"?status=sent&to={Utc(log.Day(6))}"));
        Assert.Empty(await log.IdsAsync($"?status=overdue&to={Utc(log.Day(9))}")); // E6 was raised on day 9, after 00:00
        Assert.Equal([log.E6], await log.IdsAsync($"?status=overdue&to={Utc(log.Day(10))}"));

        // Everything at once: agency, status, overdue and a range around E5 only.
        Assert.Equal([log.E5], await log.IdsAsync($"?agency=la-strada&status=sent&overdue=true&from={Utc(log.Day(8))}&to={Utc(log.Day(9))}"));
        Assert.Empty(await log.IdsAsync($"?agency=la-strada&status=sent&overdue=false&from={Utc(log.Day(8))}&to={Utc(log.Day(9))}"));
        Assert.Equal([log.E4, log.E3], await log.IdsAsync($"?overdue=false&from={Utc(log.Day(5))}&to={Utc(log.Day(8))}"));
    }

    private static string Utc(DateTimeOffset at) =>
        Uri.EscapeDataString(at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));

    private static string Offset(DateTimeOffset at, int hours) =>
        Uri.EscapeDataString(at.ToOffset(TimeSpan.FromHours(hours)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture));

    public sealed record Item(string Id, string Status, bool Overdue, DateTimeOffset RaisedAt);

    /// <summary>
    /// One app, and six escalations raised at 10:00 on days 1, 3, 5, 7, 8 and 9 of a fake clock (day 0 is ten days ago):
    /// <list type="bullet">
    /// <item>E1 raised, nothing referred;</item>
    /// <item>E2 referred to la-strada, still queued;</item>
    /// <item>E3 referred to la-strada, sent;</item>
    /// <item>E4 referred to other-agency, acknowledged by it through the API;</item>
    /// <item>E5 referred to la-strada, overdue, then failed over to backup-agency, sent there;</item>
    /// <item>E6 referred to other-agency, overdue, with no backup.</item>
    /// </list>
    /// </summary>
    public sealed class SeededLog : IAsyncLifetime
    {
        private readonly DateTimeOffset _day0 = new(DateTime.UtcNow.Date.AddDays(-10), TimeSpan.Zero);
        private readonly FakeTimeProvider _clock;
        private RunningApp _app = null!;

        public SeededLog() => _clock = new FakeTimeProvider(_day0);

        public string E1 { get; private set; } = null!;

        public string E2 { get; private set; } = null!;

        public string E3 { get; private set; } = null!;

        public string E4 { get; private set; } = null!;

        public string E5 { get; private set; } = null!;

        public string E6 { get; private set; } = null!;

        /// <summary>When E1 to E6 were raised, in that order.</summary>
        public DateTimeOffset[] RaisedAt { get; } = new DateTimeOffset[6];

        public HttpClient Sam { get; private set; } = null!;

        public DateTimeOffset Day(int day) => _day0.AddDays(day);

        public async Task InitializeAsync()
        {
            _app = await RunningApp.StartAsync(configure: b => b.Services.AddSingleton<TimeProvider>(_clock));
            var hour = TimeSpan.FromHours(10);

            (E1, RaisedAt[0]) = await RaiseAsync(Day(1) + hour);

            (E2, RaisedAt[1]) = await RaiseAsync(Day(3) + hour);
            await ReferAsync(E2, "la-strada", ReferralStatuses.Queued);

            (E3, RaisedAt[2]) = await RaiseAsync(Day(5) + hour);
            await ReferAsync(E3, "la-strada", ReferralStatuses.Sent);

            (E4, RaisedAt[3]) = await RaiseAsync(Day(7) + hour);
            var toAcknowledge = await ReferAsync(E4, "other-agency", ReferralStatuses.Sent);

            (E5, RaisedAt[4]) = await RaiseAsync(Day(8) + hour);
            await ReferAsync(E5, "la-strada", ReferralStatuses.Overdue);
            await ReferAsync(E5, "backup-agency", ReferralStatuses.Sent);

            (E6, RaisedAt[5]) = await RaiseAsync(Day(9) + hour);
            await ReferAsync(E6, "other-agency", ReferralStatuses.Overdue);

            // Back to the present, so the tokens issued now are valid by any clock.
            _clock.SetUtcNow(DateTimeOffset.UtcNow);
            Sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
            using var agency = await StaffTokens.ClientForAsync(_app, "other-agency", "partner");
            (await agency.PostAsync(new Uri($"/api/referrals/{toAcknowledge}/ack", UriKind.Relative), null)).EnsureSuccessStatusCode();
        }

        public async Task DisposeAsync()
        {
            Sam.Dispose();
            await _app.DisposeAsync();
        }

        public async Task<IReadOnlyList<Item>> ListAsync(string query)
        {
            var view = await Sam.GetFromJsonAsync<JsonElement>(new Uri("/api/escalations" + query, UriKind.Relative));
            Assert.True(view.GetProperty("chain").GetProperty("intact").GetBoolean());
            return view.GetProperty("escalations").EnumerateArray()
                .Select(e => new Item(
                    e.GetProperty("id").GetString()!, e.GetProperty("status").GetString()!, e.GetProperty("overdue").GetBoolean(),
                    e.GetProperty("raisedAt").GetDateTimeOffset()))
                .ToList();
        }

        public async Task<IReadOnlyList<string>> IdsAsync(string query) => (await ListAsync(query)).Select(e => e.Id).ToList();

        private async Task<(string Id, DateTimeOffset At)> RaiseAsync(DateTimeOffset at)
        {
            _clock.SetUtcNow(at);
            var store = _app.Services.GetRequiredService<IConversationStore>();
            var id = ConversationIds.New();
            Assert.True(await store.CreateAsync(
                new Conversation { Id = id, Channel = Channels.Sms, Language = "ro", CallerPseudonym = "p-" + id, CreatedAt = at, LastMessageAt = at },
                new ConversationMessage("m1", MessageDirection.Inbound, new SensitiveText("Ajutor"), at), null));
            var raised = await _app.Services.GetRequiredService<EmergencyRaiser>().RaiseAsync((await store.FindAsync(id))!, "counsellor", "ioana");
            return (raised.EscalationId!, at);
        }

        // A referral in the state a test needs, created a few minutes after the clock's present (the latest one
        // decides an escalation's state).
        private async Task<string> ReferAsync(string escalationId, string agency, string status)
        {
            _clock.Advance(TimeSpan.FromMinutes(5));
            var referral = new Referral
            {
                Id = Referral.NewId(), EscalationId = escalationId, AgencyId = agency, Status = status,
                CreatedAt = _clock.GetUtcNow(), CreatedBy = "ioana",
                SentAt = status == ReferralStatuses.Queued ? null : _clock.GetUtcNow(),
                AcknowledgeBy = status == ReferralStatuses.Queued ? null : _clock.GetUtcNow().AddMinutes(15),
            };
            await _app.Services.GetRequiredService<IReferralStore>().CreateAsync(referral);
            return referral.Id;
        }
    }
}

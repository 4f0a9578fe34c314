using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Conversations;
using Hotline.Escalations;
using Hotline.Functions.Escalations;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Escalations;

/// <summary>
/// Referrals end to end on Azurite with a loopback partner endpoint: nothing goes without consent or an approved
/// exception; what goes is signed (Standard Webhooks) and carries only the consented fields; a partner that is down
/// for the first attempts still gets it once; receipts are authenticated and per agency.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class ReferralTests(Chromium chromium) : IAsyncLifetime
{
    private const string Caller = "+40724888111";
    private const string DutyPhone = "+40700000555";
    private const string SupervisorPhone = "+40700000999";
    private static readonly string Secret = "whsec_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private readonly PartnerEndpoint _partner = new();
    private TwilioApiDouble _twilio = null!;
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        await _partner.StartAsync();
        _twilio = await TwilioApiDouble.StartAsync();
        var secrets = Path.Combine(Path.GetTempPath(), $"hotline-test-secrets-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(secrets, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            [PartnerAgency.SecretNameFor("la-strada")] = Secret,
            [PartnerAgency.SecretNameFor("other-agency")] = "whsec_" + Convert.ToBase64String(new byte[32]),
            [PartnerAgency.SecretNameFor("backup-agency")] = "whsec_" + Convert.ToBase64String(new byte[32]),
        }));
        _app = await RunningApp.StartWithRosterAsync(
            [new Counsellor("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 3)],
            new Dictionary<string, string?>(_twilio.AppSettings())
            {
                ["Secrets:LocalFile"] = secrets,
                ["Alerts:FromNumber"] = TwilioWebhookClient.GeneralNumber,
                ["Alerts:SupervisorNumbers"] = SupervisorPhone,
                ["Referrals:HotlineContact"] = "+40 800 000 000 (partners line)",
            });
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        foreach (var (id, url, backup) in new[]
                 {
                     ("backup-agency", _partner.Url + "backup", null), ("other-agency", _partner.Url + "other", null), ("la-strada", _partner.Url, "backup-agency"),
                 })
        {
            (await sam.PutAsJsonAsync(Api($"partners/{id}"), new
            {
                name = id, mandate = "victim support", areas = new[] { "Arad" }, languages = new[] { "ro" }, hours = "24/7",
                webhookUrl = url, alertPhones = new[] { DutyPhone }, backupAgencyId = backup, ackDeadline = "00:15:00",
            })).EnsureSuccessStatusCode();
        }
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _twilio.DisposeAsync();
        await _partner.DisposeAsync();
    }

    [Fact]
    public async Task With_consent_the_packet_is_signed_carries_only_the_consented_fields_survives_a_partner_outage_and_is_acknowledged()
    {
        var (ioana, escalationId) = await AssessedEscalationAsync("held-against-will");

        // No consent yet: nothing is sent.
        var refused = await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/referrals"), new { agencyId = "la-strada" });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("nothing was sent", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/consents"), new
        {
            agencyId = "la-strada", givenBy = "caller", how = "typed", covers = new[] { "category", "location", "language", "callback" },
        })).EnsureSuccessStatusCode();
        _partner.FailNext = 2; // down for the first two attempts
        var referred = await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/referrals"), new { agencyId = "la-strada" });
        Assert.Equal(HttpStatusCode.Accepted, referred.StatusCode);
        var referralId = (await referred.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        var delivered = await Eventually.ReturnsAsync(() => Task.FromResult(_partner.Received.FirstOrDefault(r => r.Status == 200)), "the delivery");
        Assert.Equal(3, _partner.Received.Count(r => r.Path == "/"));
        Assert.Equal(referralId, delivered.Id);
        Assert.True(StandardWebhooks.IsValid(Secret, delivered.Id, delivered.Timestamp, delivered.Signature, delivered.Body, DateTimeOffset.UtcNow));
        var packet = JsonDocument.Parse(delivered.Body).RootElement;
        Assert.Equal(
            ["callback", "category", "hotlineContact", "language", "location", "referralId", "urgency"],
            packet.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("Depozit lângă Arad, strada Fabricii", packet.GetProperty("location").GetString());
        Assert.DoesNotContain("patronul", delivered.Body, StringComparison.Ordinal); // "happening" was not consented
        Assert.DoesNotContain("724888111", delivered.Body, StringComparison.Ordinal); // never the caller's number

        var alert = await Eventually.ReturnsAsync(() => Task.FromResult(_twilio.Sent.FirstOrDefault(s => s.To == DutyPhone)), "the duty phone alert");
        Assert.Contains(referralId, alert.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Fabricii", alert.Body, StringComparison.Ordinal);

        // Receipts: another agency is refused; the right one (token or signature) is accepted, twice harmlessly.
        using var other = await StaffTokens.ClientForAsync(_app, "other-agency", "partner");
        Assert.Equal(HttpStatusCode.Forbidden, (await other.PostAsync(Api($"referrals/{referralId}/ack"), null)).StatusCode);
        Assert.Empty((await other.GetFromJsonAsync<JsonElement>(Api("referrals"))).EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(Api($"referrals/{referralId}"))).StatusCode); // reading another's: as if it did not exist
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(Api("referrals/r-00000000000000000000"))).StatusCode);
        using (var own = await StaffTokens.ClientForAsync(_app, "la-strada", "partner"))
        {
            var read = await own.GetFromJsonAsync<JsonElement>(Api($"referrals/{referralId}"));
            Assert.Equal(("sent", "la-strada"), (read.GetProperty("status").GetString(), read.GetProperty("agencyId").GetString()));
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.Http.PostAsync(Api($"referrals/{referralId}/ack"), null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignedAckAsync(referralId, Secret, naming: "r-00000000000000000000")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignedAckAsync(referralId, "whsec_" + Convert.ToBase64String(new byte[32]))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SignedAckAsync(referralId, Secret)).StatusCode);
        using var laStrada = await StaffTokens.ClientForAsync(_app, "la-strada", "partner");
        Assert.Equal(HttpStatusCode.OK, (await laStrada.PostAsync(Api($"referrals/{referralId}/ack"), null)).StatusCode);
        var mine = Assert.Single((await laStrada.GetFromJsonAsync<JsonElement>(Api("referrals"))).EnumerateArray());
        Assert.Equal("acknowledged", mine.GetProperty("status").GetString());

        var (entries, head) = await _app.Services.GetRequiredService<IEscalationLog>().ReadAsync();
        Assert.True(EscalationChain.Verify(entries, head).Intact);
        var steps = entries.Where(e => e.EscalationId == escalationId).Select(e => e.Step).ToList();
        // The two refused attempts were retried within one delivery, which then succeeded: one Sent, no failure logged;
        // the agency's look at its referral is logged too.
        Assert.Equal([EscalationStep.Raised, EscalationStep.ConsentRecorded, EscalationStep.Sent, EscalationStep.Viewed, EscalationStep.Acknowledged], steps);
        Assert.DoesNotContain("Fabricii", JsonSerializer.Serialize(entries), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_consent_only_a_supervisors_approved_exception_lets_a_referral_go_and_only_with_what_it_covers()
    {
        var (ioana, escalationId) = await AssessedEscalationAsync("violence-now");
        var exception = new { agencyId = "la-strada", reason = "Caller cut off mid-sentence; sounds of violence", covers = new[] { "category", "location" } };

        Assert.Equal(HttpStatusCode.Forbidden, (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/exception"), exception)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/referrals"), new { agencyId = "la-strada" })).StatusCode);
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        Assert.Equal(HttpStatusCode.BadRequest, (await sam.PostAsJsonAsync(Api($"escalations/{escalationId}/exception"), exception with { reason = " " })).StatusCode);
        await Task.Delay(500);
        Assert.Empty(_partner.Received);

        (await sam.PostAsJsonAsync(Api($"escalations/{escalationId}/exception"), exception)).EnsureSuccessStatusCode();
        (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/referrals"), new { agencyId = "la-strada" })).EnsureSuccessStatusCode();

        var delivered = await Eventually.ReturnsAsync(() => Task.FromResult(_partner.Received.FirstOrDefault(r => r.Status == 200)), "the delivery");
        var fields = JsonDocument.Parse(delivered.Body).RootElement.EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Contains("location", fields);
        Assert.DoesNotContain("language", fields);
        Assert.DoesNotContain("callback", fields);
        var (entries, _) = await _app.Services.GetRequiredService<IEscalationLog>().ReadAsync();
        var approval = Assert.Single(entries, e => e.Step == EscalationStep.ExceptionApproved);
        Assert.Equal("sam", approval.Actor);
        Assert.DoesNotContain("sounds of violence", JsonSerializer.Serialize(entries), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_referral_not_acknowledged_in_time_fails_over_to_the_backup_the_consent_covers_and_the_supervisor_is_texted()
    {
        var (ioana, escalationId) = await AssessedEscalationAsync("held-against-will");
        await ConsentToBothAsync(ioana, escalationId, "verbal", "category", "location");

        var referralId = (await (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/referrals"), new { agencyId = "la-strada" }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        // Sent, and the delivery's last step (texting the duty phones) done, so nothing else changes the referral.
        await Eventually.TrueAsync(async () => await Referrals.FindAsync(referralId) is { Status: ReferralStatuses.Sent, DutyPhonesAlertedAt: not null }, "the delivery");

        // The deadline check, on a clock 14 and then 16 minutes on (the agency's deadline is 15).
        Assert.Equal(0, await DeadlinesAt(TimeSpan.FromMinutes(14)).CheckAsync());
        Assert.Equal(1, await DeadlinesAt(TimeSpan.FromMinutes(16)).CheckAsync());
        Assert.Equal(ReferralStatuses.Overdue, (await Referrals.FindAsync(referralId))!.Status);
        var toBackup = await Eventually.ReturnsAsync(() => Task.FromResult(_partner.Received.FirstOrDefault(r => r.Path == "/backup" && r.Status == 200)), "the backup delivery");
        await Eventually.TrueAsync(async () => (await Referrals.FindAsync(toBackup.Id))!.Status == ReferralStatuses.Sent, "the backup referral sent");
        // Should the backup stay silent too, it is reported in its turn; the first referral is not handled again.
        Assert.Equal(1, await DeadlinesAt(TimeSpan.FromMinutes(31)).CheckAsync());
        Assert.Contains("Fabricii", toBackup.Body, StringComparison.Ordinal); // the consent for the backup covers the location
        var alert = await Eventually.ReturnsAsync(() => Task.FromResult(_twilio.Sent.FirstOrDefault(s => s.To == SupervisorPhone && s.Body.Contains(referralId, StringComparison.Ordinal))), "the supervisor alert");
        Assert.Contains("not acknowledged within 15 minutes; sent to backup-agency", alert.Body, StringComparison.Ordinal);
        var (entries, head) = await _app.Services.GetRequiredService<IEscalationLog>().ReadAsync();
        Assert.True(EscalationChain.Verify(entries, head).Intact);
        var failover = Assert.Single(entries, e => e.Step == EscalationStep.FailedOver);
        Assert.Equal(("la-strada", "backup-agency", "Queued"), (failover.Details["from"], failover.Details["to"], failover.Details["outcome"]));
        Assert.Equal([referralId, toBackup.Id], entries.Where(e => e.Step == EscalationStep.DeadlineMissed).Select(e => e.Details["referral"]));
    }

    [Fact]
    public async Task Supervisors_see_timelines_with_filters_and_a_tampered_log_is_reported_partners_acknowledge_on_their_page()
    {
        var (ioana, escalationId) = await AssessedEscalationAsync("medical");
        (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/consents"), new
        {
            agencyId = "la-strada", givenBy = "caller", how = "verbal", covers = new[] { "category" },
        })).EnsureSuccessStatusCode();
        var referralId = (await (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/referrals"), new { agencyId = "la-strada" }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await Eventually.TrueAsync(async () => (await Referrals.FindAsync(referralId))!.Status == ReferralStatuses.Sent, "the delivery");

        Assert.Equal(HttpStatusCode.Forbidden, (await ioana.GetAsync(Api("escalations"))).StatusCode);
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        var view = await sam.GetFromJsonAsync<JsonElement>(Api("escalations"));
        Assert.True(view.GetProperty("chain").GetProperty("intact").GetBoolean());
        var mine = Assert.Single(view.GetProperty("escalations").EnumerateArray());
        Assert.Equal(("sent", "medical"), (mine.GetProperty("status").GetString(), mine.GetProperty("category").GetString()));
        Assert.Equal(["Raised", "ConsentRecorded", "Sent"], mine.GetProperty("timeline").EnumerateArray().Select(s => s.GetProperty("step").GetString()));
        Assert.Single((await sam.GetFromJsonAsync<JsonElement>(Api("escalations?agency=la-strada"))).GetProperty("escalations").EnumerateArray());
        Assert.Empty((await sam.GetFromJsonAsync<JsonElement>(Api("escalations?agency=other-agency"))).GetProperty("escalations").EnumerateArray());
        Assert.Empty((await sam.GetFromJsonAsync<JsonElement>(Api("escalations?overdue=true"))).GetProperty("escalations").EnumerateArray());

        // The partner acknowledges from its page; another agency's page shows nothing.
        var partnerPage = await chromium.NewPageAsync();
        await partnerPage.GotoAsync(new Uri(_app.BaseAddress, "partner").ToString());
        await partnerPage.FillAsync("#signin-user", "other-agency");
        await partnerPage.SelectOptionAsync("#signin-role", "partner");
        await partnerPage.ClickAsync("#signin-submit");
        await Microsoft.Playwright.Assertions.Expect(partnerPage.Locator("#referrals")).ToContainTextAsync("No referrals");
        await partnerPage.ClickAsync("#sign-out");
        await partnerPage.FillAsync("#signin-user", "la-strada");
        await partnerPage.SelectOptionAsync("#signin-role", "partner");
        await partnerPage.ClickAsync("#signin-submit");
        await partnerPage.ClickAsync($"button[data-id='{referralId}']");
        await Microsoft.Playwright.Assertions.Expect(partnerPage.Locator("#referrals")).ToContainTextAsync("acknowledged");
        await Chromium.ScreenshotAsync(partnerPage, "partner-acknowledged");
        Assert.Equal(ReferralStatuses.Acknowledged, (await Referrals.FindAsync(referralId))!.Status);

        // Someone edits an entry in the table: the API and the page both report where the chain breaks.
        var table = _app.Services.GetRequiredService<Hotline.Storage.StorageAccount>().Table(Hotline.Storage.TableNames.EscalationLog);
        var second = (await table.GetEntityAsync<Azure.Data.Tables.TableEntity>("chain", 2L.ToString("D19", System.Globalization.CultureInfo.InvariantCulture))).Value;
        second["Actor"] = "someone-else";
        await table.UpdateEntityAsync(second, second.ETag, Azure.Data.Tables.TableUpdateMode.Replace);
        var broken = (await sam.GetFromJsonAsync<JsonElement>(Api("escalations"))).GetProperty("chain");
        Assert.False(broken.GetProperty("intact").GetBoolean());
        Assert.Equal(2, broken.GetProperty("firstBrokenSequence").GetInt64());

        var page = await chromium.NewPageAsync();
        await page.GotoAsync(new Uri(_app.BaseAddress, "supervisor/escalations").ToString());
        await page.FillAsync("#signin-user", "sam");
        await page.SelectOptionAsync("#signin-role", "supervisor");
        await page.ClickAsync("#signin-submit");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#chain")).ToContainTextAsync("First broken entry: 2");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#escalations")).ToContainTextAsync(escalationId);
        await Chromium.ScreenshotAsync(page, "escalations");
    }

    [Fact]
    public async Task From_the_console_a_counsellor_raises_an_emergency_records_consent_and_the_referral_reaches_the_partner()
    {
        await new TwilioWebhookClient(_app).SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor");
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(new Uri(_app.BaseAddress, "console").ToString());
        await page.FillAsync("#signin-user", "ioana");
        await page.ClickAsync("#signin-submit");
        await page.Locator("#conversations button").First.ClickAsync();
        await page.ClickAsync("#accept");
        await page.ClickAsync("details.emergency summary");
        await page.SelectOptionAsync("#emergency-category", "held-against-will");
        await page.FillAsync("#emergency-location", "Ferma de lângă Timișoara, hala 3");
        await page.ClickAsync("#emergency-raise");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#emergency-status")).ToContainTextAsync("Emergency recorded");

        await page.SelectOptionAsync("#referral-agency", "la-strada");
        await page.CheckAsync("#consent-category");
        await page.CheckAsync("#consent-location");
        await page.ClickAsync("#referral-send");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#emergency-status")).ToContainTextAsync("is being sent to la-strada");

        var delivered = await Eventually.ReturnsAsync(() => Task.FromResult(_partner.Received.FirstOrDefault(r => r.Status == 200)), "the delivery");
        var packet = JsonDocument.Parse(delivered.Body).RootElement;
        Assert.Equal("Ferma de lângă Timișoara, hala 3", packet.GetProperty("location").GetString());
        Assert.Equal("held-against-will", packet.GetProperty("category").GetString());
        Assert.False(packet.TryGetProperty("language", out _));
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#conversations")).ToContainTextAsync("emergency");
        await Chromium.ScreenshotAsync(page, "console-emergency");
    }

    [Fact]
    public async Task A_supervisor_keeps_the_partner_directory_and_approves_an_exception_from_the_escalations_page()
    {
        var (ioana, escalationId) = await AssessedEscalationAsync("child-at-risk");
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(new Uri(_app.BaseAddress, "supervisor/escalations").ToString());
        await page.FillAsync("#signin-user", "sam");
        await page.SelectOptionAsync("#signin-role", "supervisor");
        await page.ClickAsync("#signin-submit");

        // The supervisor starts on the exception, then adds an agency: the form she is filling in stays open and keeps her words.
        await page.ClickAsync($"#escalations summary >> text=Approve sending without consent");
        await page.FillAsync($"#x-reason-{escalationId}", "A child is alone with the trafficker tonight");
        await page.FillAsync("#p-id", "night-shelter");
        await page.FillAsync("#p-name", "Night Shelter");
        await page.FillAsync("#p-webhook", _partner.Url + "shelter");
        await page.FillAsync("#p-phones", "+40700000777");
        await page.ClickAsync("#partner-save");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#partner-list")).ToContainTextAsync("Night Shelter");
        var shelter = await _app.Services.GetRequiredService<IPartnerDirectory>().FindAsync("night-shelter");
        Assert.Equal(["+40700000777"], shelter!.AlertPhones);
        Assert.Equal(TimeSpan.FromMinutes(15), shelter.AckDeadline);
        await Microsoft.Playwright.Assertions.Expect(page.Locator($"#x-agency-{escalationId} option[value=night-shelter]")).ToHaveCountAsync(1);
        await Microsoft.Playwright.Assertions.Expect(page.Locator($"#x-reason-{escalationId}")).ToHaveValueAsync("A child is alone with the trafficker tonight");

        await page.SelectOptionAsync($"#x-agency-{escalationId}", "la-strada");
        await page.CheckAsync($"#x-category-{escalationId}");
        await page.ClickAsync("#escalations button.danger");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#escalations")).ToContainTextAsync("Approved.");

        var escalation = await _app.Services.GetRequiredService<IEscalationStore>().FindAsync(escalationId);
        var approval = Assert.Single(escalation!.Exceptions);
        Assert.Equal(("la-strada", "sam"), (approval.AgencyId, approval.ApprovedBy));
        Assert.Equal(["category"], approval.Covers);
        Assert.Equal(HttpStatusCode.Accepted, (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/referrals"), new { agencyId = "la-strada" })).StatusCode);
    }

    [Fact]
    public async Task A_referral_an_agency_that_stays_down_never_received_is_logged_failed_and_fails_over_at_the_deadline()
    {
        var (ioana, escalationId) = await AssessedEscalationAsync("violence-now");
        await ConsentToBothAsync(ioana, escalationId, "typed", "category");

        _partner.DownPath = "/";
        var referralId = (await (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/referrals"), new { agencyId = "la-strada" }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await Eventually.TrueAsync(async () => (await _app.Services.GetRequiredService<IEscalationLog>().ReadAsync()).Entries
            .Any(e => e.Step == EscalationStep.DeliveryFailed && e.Details["referral"] == referralId), "the failed delivery logged");
        Assert.Equal(ReferralStatuses.Queued, (await Referrals.FindAsync(referralId))!.Status);
        // The agency's duty phone hears of it all the same: that it is waiting, and whom to call; nothing more.
        var duty = await Eventually.ReturnsAsync(() => Task.FromResult(_twilio.Sent.FirstOrDefault(s => s.To == DutyPhone && s.Body.Contains(referralId, StringComparison.Ordinal))), "the duty phone alert");
        Assert.Contains("could not be delivered", duty.Body, StringComparison.Ordinal);
        Assert.Contains("+40 800 000 000", duty.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("violence", duty.Body, StringComparison.OrdinalIgnoreCase);
        Assert.NotNull((await Referrals.FindAsync(referralId))!.DutyPhonesAlertedAt);

        Assert.Equal(1, await DeadlinesAt(TimeSpan.FromMinutes(16)).CheckAsync());

        Assert.Equal(ReferralStatuses.Overdue, (await Referrals.FindAsync(referralId))!.Status);
        // The backup is on the same host as the agency that is down, and is reached at the first attempt all the same.
        var backup = await Eventually.ReturnsAsync(() => Task.FromResult(_partner.Received.FirstOrDefault(r => r.Path == "/backup")), "the backup delivery");
        Assert.Equal(200, backup.Status);
        await Eventually.ReturnsAsync(() => Task.FromResult(_twilio.Sent.FirstOrDefault(s => s.To == SupervisorPhone && s.Body.Contains(referralId, StringComparison.Ordinal))), "the supervisor alert");
        Assert.Single(_twilio.Sent, s => s.To == DutyPhone && s.Body.Contains(referralId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_agency_that_is_down_opens_its_own_circuit_after_one_delivery_and_no_other_agencys()
    {
        _partner.DownPath = "/";
        var client = _app.Services.GetRequiredService<IHttpClientFactory>().CreateClient(SendReferralFunction.HttpClientName);
        HttpRequestMessage To(string path, string agency) =>
            SendReferralFunction.ForAgency(new HttpRequestMessage(HttpMethod.Post, _partner.Url + path) { Content = new StringContent("{}") }, agency);

        using var first = await client.SendAsync(To("", "la-strada"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal(4, _partner.Received.Count(r => r.Path == "/")); // one delivery: the attempt and three retries

        // The next delivery to that agency fails at once, without knocking on its door; the backup on the same host is reached.
        await Assert.ThrowsAsync<Polly.CircuitBreaker.BrokenCircuitException>(() => client.SendAsync(To("", "la-strada")));
        Assert.Equal(4, _partner.Received.Count(r => r.Path == "/"));
        using var other = await client.SendAsync(To("backup", "backup-agency"));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task A_second_referral_to_the_same_agency_is_refused_and_a_reassessment_keeps_what_was_recorded_and_an_exception_lapses_with_its_category()
    {
        var (ioana, escalationId) = await AssessedEscalationAsync("violence-now");
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        (await sam.PostAsJsonAsync(Api($"escalations/{escalationId}/exception"), new
        {
            agencyId = "la-strada", reason = "Shots heard on the call", covers = new[] { "category", "location" },
        })).EnsureSuccessStatusCode();

        // Reassessing only the category keeps the facts and indicators recorded before.
        var conversationId = (await _app.Services.GetRequiredService<IEscalationStore>().FindAsync(escalationId))!.ConversationId;
        var reassessed = await (await ioana.PostAsJsonAsync(Api($"conversations/{conversationId}/emergency"), new { category = "other", facts = new { location = "" } }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Depozit lângă Arad, strada Fabricii", reassessed.GetProperty("facts").GetProperty("location").GetString());
        Assert.Equal(["restriction-of-movement"], reassessed.GetProperty("indicators").EnumerateArray().Select(i => i.GetString()));

        // "other" allows no exception: the approval no longer lets anything go.
        Assert.Equal(HttpStatusCode.Conflict, (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/referrals"), new { agencyId = "la-strada" })).StatusCode);
        (await ioana.PostAsJsonAsync(Api($"conversations/{conversationId}/emergency"), new { category = "violence-now" })).EnsureSuccessStatusCode();

        var first = await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/referrals"), new { agencyId = "la-strada" });
        var second = await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/referrals"), new { agencyId = "la-strada" });
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Contains("already on its way", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await Eventually.ReturnsAsync(() => Task.FromResult(_partner.Received.FirstOrDefault(r => r.Status == 200)), "the delivery");
        await Task.Delay(300);
        Assert.Single(_partner.Received);
    }

    [Fact]
    public async Task A_deadline_of_zero_or_less_is_refused_with_the_reason_and_a_deadline_is_put_in_words_for_the_duty_phone_and_the_supervisor()
    {
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        object Agency(string? ackDeadline) => new
        {
            name = "La Strada", mandate = "victim support", areas = new[] { "Arad" }, languages = new[] { "ro" }, hours = "24/7",
            webhookUrl = _partner.Url, alertPhones = new[] { DutyPhone }, backupAgencyId = "backup-agency", ackDeadline,
        };
        foreach (var wrong in new[] { "00:00:00", "-00:05:00" })
        {
            var refused = await sam.PutAsJsonAsync(Api("partners/la-strada"), Agency(wrong));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("'ackDeadline' must be more than zero", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var directory = _app.Services.GetRequiredService<IPartnerDirectory>();
        Assert.Equal(TimeSpan.FromMinutes(15), (await directory.FindAsync("la-strada"))!.AckDeadline); // unchanged
        (await sam.PutAsJsonAsync(Api("partners/la-strada"), Agency(null))).EnsureSuccessStatusCode(); // left out: the default
        Assert.Equal(TimeSpan.FromMinutes(15), (await directory.FindAsync("la-strada"))!.AckDeadline);
        (await sam.PutAsJsonAsync(Api("partners/la-strada"), Agency("00:01:00"))).EnsureSuccessStatusCode();

        var (ioana, escalationId) = await AssessedEscalationAsync("medical");
        (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/consents"), new
        {
            agencyId = "la-strada", givenBy = "caller", how = "verbal", covers = new[] { "category" },
        })).EnsureSuccessStatusCode();
        var referralId = (await (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/referrals"), new { agencyId = "la-strada" }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var duty = await Eventually.ReturnsAsync(() => Task.FromResult(_twilio.Sent.FirstOrDefault(s => s.To == DutyPhone && s.Body.Contains(referralId, StringComparison.Ordinal))), "the duty phone alert");
        Assert.EndsWith("Please acknowledge within 1 minute.", duty.Body, StringComparison.Ordinal);
        using var laStrada = await StaffTokens.ClientForAsync(_app, "la-strada", "partner");
        Assert.Equal("1 minute", (await laStrada.GetFromJsonAsync<JsonElement>(Api($"referrals/{referralId}"))).GetProperty("acknowledgeWithin").GetString());

        Assert.Equal(1, await DeadlinesAt(TimeSpan.FromMinutes(2)).CheckAsync());
        var alert = await Eventually.ReturnsAsync(() => Task.FromResult(_twilio.Sent.FirstOrDefault(s => s.To == SupervisorPhone && s.Body.Contains(referralId, StringComparison.Ordinal))), "the supervisor alert");
        Assert.Contains("not acknowledged within 1 minute;", alert.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_addressed_agency_and_a_supervisor_read_exactly_the_packet_sent_each_look_is_logged_and_another_agency_finds_nothing()
    {
        var (ioana, escalationId) = await AssessedEscalationAsync("held-against-will");
        (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/consents"), new
        {
            agencyId = "la-strada", givenBy = "caller", how = "verbal", covers = new[] { "category", "location", "callback" },
        })).EnsureSuccessStatusCode();
        var referralId = (await (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/referrals"), new { agencyId = "la-strada" }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var delivered = await Eventually.ReturnsAsync(() => Task.FromResult(_partner.Received.FirstOrDefault(r => r.Status == 200)), "the delivery");
        // Reassessed after sending: the agency still reads what it was sent.
        var conversationId = (await _app.Services.GetRequiredService<IEscalationStore>().FindAsync(escalationId))!.ConversationId;
        (await ioana.PostAsJsonAsync(Api($"conversations/{conversationId}/emergency"), new { facts = new { location = "Somewhere else entirely" } })).EnsureSuccessStatusCode();

        using var other = await StaffTokens.ClientForAsync(_app, "other-agency", "partner");
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(Api($"referrals/{referralId}"))).StatusCode);
        using var laStrada = await StaffTokens.ClientForAsync(_app, "la-strada", "partner");
        var read = await laStrada.GetAsync(Api($"referrals/{referralId}"));
        Assert.Equal("no-store", read.Headers.CacheControl?.ToString());
        var mine = await read.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(
            System.Text.Json.Nodes.JsonNode.Parse(delivered.Body), System.Text.Json.Nodes.JsonNode.Parse(mine.GetProperty("packet").GetRawText())),
            $"the page's packet {mine.GetProperty("packet").GetRawText()} is not the one delivered {delivered.Body}");
        Assert.Equal("Depozit lângă Arad, strada Fabricii", mine.GetProperty("packet").GetProperty("location").GetString());
        Assert.False(mine.GetProperty("packet").TryGetProperty("happening", out _)); // not consented, not shown
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        Assert.Equal("held-against-will", (await sam.GetFromJsonAsync<JsonElement>(Api($"referrals/{referralId}"))).GetProperty("packet").GetProperty("category").GetString());
        // The list stays light: no packets in it.
        Assert.False(Assert.Single((await laStrada.GetFromJsonAsync<JsonElement>(Api("referrals"))).EnumerateArray()).TryGetProperty("packet", out _));

        var (entries, head) = await _app.Services.GetRequiredService<IEscalationLog>().ReadAsync();
        Assert.True(EscalationChain.Verify(entries, head).Intact);
        var looks = entries.Where(e => e.Step == EscalationStep.Viewed).ToList();
        Assert.Equal(["agency:la-strada", "sam"], looks.Select(e => e.Actor));
        Assert.All(looks, e => Assert.Equal((escalationId, referralId, "la-strada"), (e.EscalationId, e.Details["referral"], e.Details["agency"])));
        Assert.DoesNotContain("Fabricii", JsonSerializer.Serialize(entries), StringComparison.Ordinal);
        Assert.DoesNotContain("Fabricii", await StoredData.EverythingAsync(_app), StringComparison.Ordinal); // the packet is encrypted at rest too
    }

    [Fact]
    public async Task A_copy_of_a_signed_delivery_acknowledges_nothing_the_referral_fails_over_and_a_receipt_is_accepted_once()
    {
        var (ioana, escalationId) = await AssessedEscalationAsync("held-against-will");
        await ConsentToBothAsync(ioana, escalationId, "verbal", "category");

        var referralId = (await (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/referrals"), new { agencyId = "la-strada" }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var delivered = await Eventually.ReturnsAsync(() => Task.FromResult(_partner.Received.FirstOrDefault(r => r.Path == "/" && r.Status == 200)), "the delivery");

        // Whoever saw the delivery (a relay, a proxy, the agency's logs) replays it, unchanged, within its timestamp window.
        using (var replay = new HttpRequestMessage(HttpMethod.Post, Api($"referrals/{referralId}/ack"))
               {
                   Content = new StringContent(delivered.Body, System.Text.Encoding.UTF8, "application/json"),
               })
        {
            replay.Headers.Add(StandardWebhooks.IdHeader, delivered.Id);
            replay.Headers.Add(StandardWebhooks.TimestampHeader, delivered.Timestamp);
            replay.Headers.Add(StandardWebhooks.SignatureHeader, delivered.Signature);
            Assert.Equal(HttpStatusCode.Unauthorized, (await _app.Http.SendAsync(replay)).StatusCode);
        }

        // Nor is anything else signed with the secret a receipt unless it is exactly one.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignedAckAsync(referralId, Secret, body: JsonSerializer.Serialize(new { referralId }))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignedAckAsync(referralId, Secret,
            body: JsonSerializer.Serialize(new { type = "referral.acknowledged", referralId, urgency = "immediate" }))).StatusCode);
        Assert.Equal(ReferralStatuses.Sent, (await Referrals.FindAsync(referralId))!.Status);

        // So the deadline still counts: the referral goes to the backup and the supervisor is texted.
        Assert.Equal(1, await DeadlinesAt(TimeSpan.FromMinutes(16)).CheckAsync());
        Assert.Equal(ReferralStatuses.Overdue, (await Referrals.FindAsync(referralId))!.Status);
        var toBackup = await Eventually.ReturnsAsync(() => Task.FromResult(_partner.Received.FirstOrDefault(r => r.Path == "/backup" && r.Status == 200)), "the backup delivery");
        await Eventually.ReturnsAsync(() => Task.FromResult(_twilio.Sent.FirstOrDefault(s => s.To == SupervisorPhone && s.Body.Contains(referralId, StringComparison.Ordinal))), "the supervisor alert");

        // The backup's own receipt is accepted, once: a copy of it (same webhook-id) is refused with the reason.
        var backupSecret = "whsec_" + Convert.ToBase64String(new byte[32]);
        Assert.Equal(HttpStatusCode.OK, (await SignedAckAsync(toBackup.Id, backupSecret, webhookId: "receipt-1")).StatusCode);
        var again = await SignedAckAsync(toBackup.Id, backupSecret, webhookId: "receipt-1");
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        Assert.Contains("received before", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await SignedAckAsync(toBackup.Id, backupSecret, webhookId: "receipt-2")).StatusCode); // a new one is fine
        Assert.Equal(ReferralStatuses.Acknowledged, (await Referrals.FindAsync(toBackup.Id))!.Status);
        var steps = (await _app.Services.GetRequiredService<IEscalationLog>().ReadAsync()).Entries.Where(e => e.EscalationId == escalationId).ToList();
        Assert.Equal([toBackup.Id], steps.Where(e => e.Step == EscalationStep.Acknowledged).Select(e => e.Details["referral"]));
    }

    [Fact]
    public async Task An_invalid_or_unknown_backup_is_refused_and_a_failover_that_cannot_proceed_alerts_the_supervisor_once()
    {
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        object Agency(string? backupAgencyId) => new
        {
            name = "La Strada", webhookUrl = _partner.Url, alertPhones = new[] { DutyPhone }, backupAgencyId, ackDeadline = "00:15:00",
        };
        foreach (var wrong in new[] { "#?/", "no-such-agency", new string('a', 10_000) })
        {
            var refused = await sam.PutAsJsonAsync(Api("partners/la-strada"), Agency(wrong));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("'backupAgencyId' must name an agency already in the directory", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal("backup-agency", (await _app.Services.GetRequiredService<IPartnerDirectory>().FindAsync("la-strada"))!.BackupAgencyId); // unchanged

        // Entries kept from before, or a backup gone since: the deadline check must neither fail at every run nor stay silent.
        var directory = _app.Services.GetRequiredService<IPartnerDirectory>();
        var laStrada = (await directory.FindAsync("la-strada"))!;
        await directory.SaveAsync(laStrada with { BackupAgencyId = "#?/" });
        await directory.SaveAsync((await directory.FindAsync("other-agency"))! with { BackupAgencyId = "gone-agency" });
        var referrals = new List<string>();
        var (ioana, escalationId) = await AssessedEscalationAsync("held-against-will");
        foreach (var agency in new[] { "la-strada", "other-agency" })
        {
            (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/consents"), new
            {
                agencyId = agency, givenBy = "caller", how = "verbal", covers = new[] { "category" },
            })).EnsureSuccessStatusCode();
            var referralId = (await (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/referrals"), new { agencyId = agency }))
                .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            await Eventually.TrueAsync(async () => (await Referrals.FindAsync(referralId))!.Status == ReferralStatuses.Sent, "the delivery");
            referrals.Add(referralId);
        }

        Assert.Equal(2, await DeadlinesAt(TimeSpan.FromMinutes(16)).CheckAsync());
        Assert.Equal(0, await DeadlinesAt(TimeSpan.FromMinutes(17)).CheckAsync()); // handled: no second alert, no failure

        var invalid = await Eventually.ReturnsAsync(() => Task.FromResult(_twilio.Sent.FirstOrDefault(s => s.To == SupervisorPhone && s.Body.Contains(referrals[0], StringComparison.Ordinal))), "the supervisor alert");
        Assert.Contains("its backup agency is not a valid agency id: nobody else was sent it", invalid.Body, StringComparison.Ordinal);
        var gone = await Eventually.ReturnsAsync(() => Task.FromResult(_twilio.Sent.FirstOrDefault(s => s.To == SupervisorPhone && s.Body.Contains(referrals[1], StringComparison.Ordinal))), "the supervisor alert");
        Assert.Contains("its backup agency gone-agency is not in the partner directory", gone.Body, StringComparison.Ordinal);
        var (entries, head) = await _app.Services.GetRequiredService<IEscalationLog>().ReadAsync();
        Assert.True(EscalationChain.Verify(entries, head).Intact);
        // The check takes referrals in id order: put the entries in the order the referrals were made.
        var failovers = entries.Where(e => e.Step == EscalationStep.FailedOver).OrderBy(e => referrals.IndexOf(e.Details["referral"])).ToList();
        Assert.Equal(referrals, failovers.Select(e => e.Details["referral"]));
        Assert.All(failovers, e => Assert.Equal("NoSuchAgency", e.Details["outcome"]));
        Assert.Equal(["(invalid)", "gone-agency"], failovers.Select(e => e.Details["to"]));
        Assert.Equal(2, _twilio.Sent.Count(s => s.To == SupervisorPhone && s.Body.Contains("referral r-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Malformed_or_oversized_agency_ids_names_and_lists_are_a_400_with_the_reason_never_a_500()
    {
        var (ioana, escalationId) = await AssessedEscalationAsync("violence-now");
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        var longId = new string('a', 10_000); // far over the id's limit, within the 64 KiB any body may have
        foreach (var agencyId in new[] { longId, "#?/", "La-Strada" })
        {
            var consent = await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/consents"), new
            {
                agencyId, givenBy = "caller", how = "verbal", covers = new[] { "category" },
            });
            Assert.Equal(HttpStatusCode.BadRequest, consent.StatusCode);
            Assert.Contains("lower-case letters, digits or '-'", await consent.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.BadRequest, (await sam.PostAsJsonAsync(Api($"escalations/{escalationId}/exception"), new
            {
                agencyId, reason = "Shots heard", covers = new[] { "category" },
            })).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/referrals"), new { agencyId })).StatusCode);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await ioana.PostAsJsonAsync(Api($"escalations/{escalationId}/consents"), new
        {
            agencyId = "la-strada", givenBy = "caller", how = "verbal", covers = Enumerable.Repeat("category", 2_000),
        })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await sam.PutAsJsonAsync(Api($"partners/{new string('a', 65)}"), new { name = "x", webhookUrl = _partner.Url })).StatusCode);

        object Entry(string name = "La Strada", string mandate = "victim support", string[]? areas = null, string[]? alertPhones = null, string? ackDeadline = null) => new
        {
            name, mandate, areas = areas ?? ["Arad"], languages = new[] { "ro" }, hours = "24/7", webhookUrl = _partner.Url,
            alertPhones = alertPhones ?? [DutyPhone], ackDeadline,
        };
        foreach (var (entry, reason) in new[]
                 {
                     (Entry(name: new string('n', 10_000)), "'name' is at most 200 characters"),
                     (Entry(mandate: new string('m', 10_000)), "'mandate' and 'hours' are at most"),
                     (Entry(areas: Enumerable.Range(0, 1_000).Select(i => $"area {i}").ToArray()), "'areas' has at most 50 entries"),
                     (Entry(areas: [new string('a', 1_000)]), "'areas' has at most 50 entries of at most 100 characters"),
                     (Entry(alertPhones: Enumerable.Repeat(DutyPhone, 1_000).ToArray()), "'alertPhones' has at most 10 numbers"),
                     (Entry(alertPhones: ["call Ana"]), "is not a phone number"),
                     (Entry(ackDeadline: "3.00:00:00"), "'ackDeadline' is at most 1 day"),
                 })
        {
            var refused = await sam.PutAsJsonAsync(Api("partners/new-agency"), entry);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(reason, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // A 1 MB entry is refused before it is read, with the reason, never a 500 from storage.
        var huge = await sam.PutAsJsonAsync(Api("partners/new-agency"), Entry(name: new string('n', 1_000_000)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        Assert.Contains("the request body is larger than", await huge.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Null(await _app.Services.GetRequiredService<IPartnerDirectory>().FindAsync("new-agency"));
        Assert.Equal(HttpStatusCode.OK, (await sam.PutAsJsonAsync(Api("partners/new-agency"), Entry())).StatusCode);
    }

    [Fact]
    public async Task A_webhook_must_be_https_to_a_public_address_never_to_a_private_link_local_or_loopback_one()
    {
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        foreach (var url in new[]
                 {
                     "https://169.254.169.254/latest/meta-data/", "https://10.0.0.5/hook", "https://172.16.1.1/", "https://172.31.255.254/",
                     "https://192.168.1.10/", "https://[fc00::1]/", "https://[fd12:3456::1]/", "https://[fe80::1]/", "https://[::ffff:10.0.0.1]/",
                     "https://[::ffff:169.254.169.254]/", "http://partner.example.org/hook", "ftp://partner.example.org/", "/relative",
                 })
        {
            var refused = await sam.PutAsJsonAsync(Api("partners/new-agency"), new { name = "New", webhookUrl = url });
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{url}: {refused.StatusCode}");
            Assert.Contains("https URL to a public address", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Null(await _app.Services.GetRequiredService<IPartnerDirectory>().FindAsync("new-agency"));
        Assert.Equal(HttpStatusCode.OK, (await sam.PutAsJsonAsync(Api("partners/new-agency"), new { name = "New", webhookUrl = "https://partner.example.org/hook" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await sam.PutAsJsonAsync(Api("partners/new-agency"), new { name = "New", webhookUrl = "https://203.0.113.7/hook" })).StatusCode);

        // This machine only for a local trial in Development (this app runs in Development); never in production.
        foreach (var url in new[] { "http://127.0.0.1:7071/hook", "https://localhost/hook", "https://[::1]/hook", "https://127.0.0.2/", "https://2130706433/" })
        {
            Assert.True(PartnerWebhookAddress.IsAllowed(new Uri(url), development: true), url);
            Assert.False(PartnerWebhookAddress.IsAllowed(new Uri(url), development: false), url);
        }

        Assert.True(PartnerWebhookAddress.IsAllowed(new Uri("https://partner.example.org/hook"), development: false));
        Assert.False(PartnerWebhookAddress.IsAllowed(new Uri("https://[fe80::1%25eth0]/"), development: false));
    }

    private IReferralStore Referrals => _app.Services.GetRequiredService<IReferralStore>();

    private ReferralDeadlines DeadlinesAt(TimeSpan later) => new(
        Referrals, _app.Services.GetRequiredService<IEscalationStore>(), _app.Services.GetRequiredService<IPartnerDirectory>(),
        _app.Services.GetRequiredService<ReferralDesk>(), _app.Services.GetRequiredService<IEscalationLog>(),
        _app.Services.GetRequiredService<ISupervisorAlerts>(), new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow + later));

    private async Task<(HttpClient Ioana, string EscalationId)> AssessedEscalationAsync(string category)
    {
        var (ioana, conversationId) = await AcceptedConversations.OfSmsAsync(_app, Caller);
        var raised = await ioana.PostAsJsonAsync(Api($"conversations/{conversationId}/emergency"), new
        {
            category,
            facts = new { location = "Depozit lângă Arad, strada Fabricii", happening = "patronul i-a închis pe toți", atRisk = "șase muncitori" },
            indicators = new[] { "restriction-of-movement" },
        });
        raised.EnsureSuccessStatusCode();
        var escalationId = (await raised.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using var oksana = await StaffTokens.ClientForAsync(_app, "oksana", "counsellor");
        // Another counsellor's escalation is answered exactly like one that does not exist.
        var someoneElses = await oksana.GetAsync(Api($"escalations/{escalationId}"));
        var missing = await oksana.GetAsync(Api("escalations/e-00000000000000000000"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(
            (missing.StatusCode, (await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()),
            (someoneElses.StatusCode, (await someoneElses.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()));
        Assert.DoesNotContain("Fabricii", await StoredData.EverythingAsync(_app), StringComparison.Ordinal); // facts encrypted at rest
        return (ioana, escalationId);
    }

    /// <summary>The caller's consent for the agency and for its backup, covering the same fields.</summary>
    private static async Task ConsentToBothAsync(HttpClient counsellor, string escalationId, string how, params string[] covers)
    {
        foreach (var agency in new[] { "la-strada", "backup-agency" })
        {
            (await counsellor.PostAsJsonAsync(Api($"escalations/{escalationId}/consents"), new
            {
                agencyId = agency, givenBy = "caller", how, covers,
            })).EnsureSuccessStatusCode();
        }
    }

    private async Task<HttpResponseMessage> SignedAckAsync(string referralId, string secret, string? naming = null, string? webhookId = null, string? body = null)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        body ??= JsonSerializer.Serialize(new { type = "referral.acknowledged", referralId = naming ?? referralId });
        using var request = new HttpRequestMessage(HttpMethod.Post, Api($"referrals/{referralId}/ack"))
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        var id = webhookId ?? "ack-" + Guid.NewGuid().ToString("N");
        request.Headers.Add(StandardWebhooks.IdHeader, id);
        request.Headers.Add(StandardWebhooks.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(StandardWebhooks.SignatureHeader, StandardWebhooks.Sign(secret, id, timestamp, body));
        return await _app.Http.SendAsync(request);
    }

    private static Uri Api(string path) => new("/api/" + path, UriKind.Relative);

    /// <summary>A partner agency's webhook on loopback: records every delivery, and can be down for a number of them.</summary>
    private sealed class PartnerEndpoint : IAsyncDisposable
    {
        private WebApplication _app = null!;

        public ConcurrentQueue<Delivery> Received { get; } = new();

        public int FailNext { get; set; }

        /// <summary>A path that answers 503 to everything: an agency that is down for good.</summary>
        public string? DownPath { get; set; }

        public string Url { get; private set; } = null!;

        public async Task StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            _app = builder.Build();
            _app.MapPost("/{**path}", async (HttpRequest request) =>
            {
                var body = await new StreamReader(request.Body).ReadToEndAsync();
                var status = FailNext-- > 0 || request.Path == DownPath ? 503 : 200;
                Received.Enqueue(new Delivery(request.Path, request.Headers[StandardWebhooks.IdHeader].ToString(),
                    request.Headers[StandardWebhooks.TimestampHeader].ToString(), request.Headers[StandardWebhooks.SignatureHeader].ToString(), body, status));
                return Results.StatusCode(status);
            });
            await _app.StartAsync();
            Url = _app.Urls.First().TrimEnd('/') + "/";
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }

    private sealed record Delivery(string Path, string Id, string Timestamp, string Signature, string Body, int Status);
}

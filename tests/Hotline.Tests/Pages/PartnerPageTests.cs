using System.Text.Json;
using Hotline.Escalations;
using Hotline.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Hotline.Tests.Pages;

/// <summary>
/// The partner page in headless Chromium: an agency without a webhook receiver of its own reads on the page what the
/// hotline sent it (only the consented fields), each look is logged, and another agency sees nothing of it.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class PartnerPageTests(Chromium chromium) : IAsyncLifetime
{
    private RunningApp _app = null!;

    public async Task InitializeAsync() => _app = await RunningApp.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task The_agency_reads_the_packet_it_was_sent_on_its_page_and_the_look_is_logged()
    {
        var referralId = await SentReferralAsync("la-strada", covers: ["category", "location", "language", "callback"]);

        var page = await chromium.NewPageAsync();
        await page.GotoAsync(new Uri(_app.BaseAddress, "partner").ToString());
        await SignInAsync(page, "other-agency");
        await Assertions.Expect(page.Locator("#referrals")).ToContainTextAsync("No referrals");
        await page.ClickAsync("#sign-out");
        await SignInAsync(page, "la-strada");
        await Assertions.Expect(page.Locator("#referrals")).ToContainTextAsync("(within 15 minutes)");
        Assert.Empty(await ViewsAsync()); // the list alone reads no packet

        await page.ClickAsync($"button[data-open='{referralId}']");

        var packet = page.Locator("#packet");
        await Assertions.Expect(packet.Locator("dd[data-field=category]")).ToHaveTextAsync("Held against will");
        await Assertions.Expect(packet.Locator("dd[data-field=location]")).ToHaveTextAsync("Depozit lângă Arad, strada Fabricii");
        await Assertions.Expect(packet.Locator("dd[data-field=language]")).ToHaveTextAsync("Romanian (ro)");
        await Assertions.Expect(packet.Locator("dd[data-field=callback]")).ToContainTextAsync(referralId);
        await Assertions.Expect(packet).Not.ToContainTextAsync("patronul"); // "happening" was not consented
        await Chromium.ScreenshotAsync(page, "partner");

        var look = Assert.Single(await ViewsAsync());
        Assert.Equal(("agency:la-strada", referralId, "la-strada"), (look.Actor, look.Details["referral"], look.Details["agency"]));
        Assert.InRange(look.At, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);

        // Acknowledging from the packet's panel.
        await packet.GetByRole(AriaRole.Button, new() { Name = "Acknowledge receipt" }).ClickAsync();
        await Assertions.Expect(packet).ToContainTextAsync("Receipt acknowledged");
        Assert.Equal(ReferralStatuses.Acknowledged, (await _app.Services.GetRequiredService<IReferralStore>().FindAsync(referralId))!.Status);
    }

    private static async Task SignInAsync(IPage page, string agency)
    {
        await page.FillAsync("#signin-user", agency);
        await page.SelectOptionAsync("#signin-role", "partner");
        await page.ClickAsync("#signin-submit");
    }

    private async Task<IReadOnlyList<EscalationLogEntry>> ViewsAsync() =>
        (await _app.Services.GetRequiredService<IEscalationLog>().ReadAsync()).Entries.Where(e => e.Step == EscalationStep.Viewed).ToList();

    // A referral as SendReferral leaves it: sent, with its packet recorded (built by the same code from the consent).
    private async Task<string> SentReferralAsync(string agency, IReadOnlyList<string> covers)
    {
        var now = DateTimeOffset.UtcNow;
        var escalation = new Escalation
        {
            Id = "e-" + Guid.NewGuid().ToString("N")[..20], ConversationId = "c-page-test", Source = "counsellor", RaisedBy = "ioana",
            RaisedAt = now, Language = "ro", Category = "held-against-will",
            Facts = new EmergencyFacts("Depozit lângă Arad, strada Fabricii", "patronul i-a închis pe toți", "șase muncitori"),
            Consents = [new Consent(agency, "caller", "verbal", now, covers, "ioana")],
        };
        var referral = new Referral
        {
            Id = Referral.NewId(), EscalationId = escalation.Id, AgencyId = agency, Status = ReferralStatuses.Sent, CreatedAt = now,
            CreatedBy = "ioana", SentAt = now, AcknowledgeBy = now.AddMinutes(15),
        };
        var referrals = _app.Services.GetRequiredService<IReferralStore>();
        await referrals.CreateAsync(referral);
        await referrals.RecordPacketAsync(referral.Id, JsonSerializer.Serialize(ReferralDesk.PacketFor(referral, escalation, "+40 800 000 000 (partners line)")));
        return referral.Id;
    }
}

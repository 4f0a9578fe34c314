using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hotline.Conversations;
using Hotline.Functions.Dev;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Hotline.Tests.Sms;

/// <summary>The local SMS simulator that <c>./hotline up</c> offers: a full round trip without a Twilio account.</summary>
[Collection(SmsCollection.Name)]
public sealed class TwilioSimulatorTests(Chromium chromium) : IAsyncLifetime
{
    private const string Phone = "+40700000042";
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        var port = RunningApp.FreePort();
        _app = await RunningApp.StartWithRosterAsync(
            [new("ana", "Ana", ["ro"], OnCall: true, Capacity: 2), new("karim", "Karim", ["ar"], OnCall: true, Capacity: 2)],
            new Dictionary<string, string?>
            {
                ["Hotline:PublicBaseUrl"] = null,
                ["Twilio:AuthToken"] = null, // the generated local token, as with ./hotline up
                ["Twilio:ApiBaseUrl"] = $"http://127.0.0.1:{port}/dev/twilio/api/",
                ["Twilio:AccountSid"] = TwilioSimulator.DevAccountSid,
            },
            port);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_text_typed_in_the_simulator_is_acknowledged_and_the_counsellors_reply_arrives_on_the_simulated_phone()
    {
        var page = await _app.Http.GetAsync(new Uri("/dev/twilio", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("simulator.js", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var send = await _app.Http.PostAsJsonAsync(new Uri("/dev/twilio/send", UriKind.Relative),
            new { from = Phone, to = TwilioWebhookClient.GeneralNumber, body = "Bună ziua, am nevoie de ajutor" });
        Assert.Equal(HttpStatusCode.OK, send.StatusCode);
        Assert.Contains("Română", await send.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var store = _app.Services.GetRequiredService<IConversationStore>();
        var offered = await Eventually.ReturnsAsync(async () =>
            (await store.ListOpenAsync("ana")).FirstOrDefault(c => c.Status == ConversationStatus.Offered), "the offer to Ana");
        using var ana = await StaffTokens.ClientForAsync(_app, "ana", "counsellor");
        (await ana.PostAsync(new Uri($"/api/conversations/{offered.Id}/accept", UriKind.Relative), null)).EnsureSuccessStatusCode();
        (await ana.PostAsJsonAsync(new Uri($"/api/conversations/{offered.Id}/messages", UriKind.Relative), new { text = "Bună, sunt Ana." })).EnsureSuccessStatusCode();

        await Eventually.TrueAsync(async () =>
        {
            var inbox = await _app.Http.GetFromJsonAsync<JsonElement>(new Uri("/dev/twilio/messages?to=" + Uri.EscapeDataString(Phone), UriKind.Relative));
            return inbox.EnumerateArray().Any(m => m.GetProperty("body").GetString() == "Bună, sunt Ana." && m.GetProperty("via").GetString() == "Messages API");
        }, "the reply on the simulated phone");
    }

    [Fact]
    public async Task The_simulator_carries_the_pages_security_headers_and_works_under_its_policy()
    {
        const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        foreach (var file in new[] { "dev/twilio", "dev/twilio/simulator.js", "dev/twilio/simulator.css" })
        {
            var response = await _app.Http.GetAsync(new Uri(file, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(Policy, response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        }

        // Every Content Security Policy violation in the page, from before its first byte: there is none.
        var page = await chromium.NewPageAsync();
        await page.AddInitScriptAsync(
            "window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => " +
            "window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));");
        await page.GotoAsync(new Uri(_app.BaseAddress, "dev/twilio").ToString());
        await page.FillAsync("#from", "+40700000043");
        await page.FillAsync("#body", "Bună ziua, am nevoie de ajutor");
        await page.ClickAsync("#sms button[type=submit]");
        await Assertions.Expect(page.Locator("#thread li.received")).ToContainTextAsync("Română");
        Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__violations"));
    }

    [Fact]
    public async Task Arabic_in_the_simulator_reads_right_to_left_in_the_box_and_in_the_thread_and_English_left_to_right()
    {
        const string Arabic = "مرحبا، أحتاج إلى مساعدة، صاحب العمل أخذ جواز سفري";
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(new Uri(_app.BaseAddress, "dev/twilio").ToString());
        await page.FillAsync("#from", "+201000000001");
        await page.FillAsync("#body", Arabic);
        Assert.True(await IsRightToLeftAsync(page.Locator("#body")), "the message box");
        await page.ClickAsync("#sms button[type=submit]");

        var sent = page.Locator("#thread li.sent");
        var answer = page.Locator("#thread li.received");
        await Assertions.Expect(sent).ToContainTextAsync(Arabic);
        await Assertions.Expect(answer).ToContainTextAsync("العربية"); // the acknowledgement names the language
        Assert.True(await IsRightToLeftAsync(sent), "the caller's message");
        Assert.True(await IsRightToLeftAsync(answer), "the hotline's answer");
        await Chromium.ScreenshotAsync(page, "sms-simulator-arabic");

        await page.FillAsync("#from", "+447700900001");
        await page.FillAsync("#body", "Hello, I need help with my passport");
        await page.ClickAsync("#sms button[type=submit]");
        await Assertions.Expect(sent).ToContainTextAsync("Hello, I need help");
        Assert.False(await IsRightToLeftAsync(sent), "an English message");
    }

    [Fact]
    public async Task The_simulator_lists_every_phones_thread_and_marks_a_reply_to_a_phone_not_on_screen_as_unread()
    {
        const string First = "+40700000101";
        const string Second = "+40700000102";
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(new Uri(_app.BaseAddress, "dev/twilio").ToString());
        await page.FillAsync("#from", First);
        await page.FillAsync("#body", "Bună ziua, am nevoie de ajutor cu actele");
        await page.ClickAsync("#sms button[type=submit]");
        await Assertions.Expect(page.Locator("#thread li.received")).ToContainTextAsync("Română");
        await page.FillAsync("#from", Second);
        await page.FillAsync("#body", "Bună, lucrez într-o fabrică și nu sunt plătit");
        await page.ClickAsync("#sms button[type=submit]");
        await Assertions.Expect(page.Locator("#thread li.received")).ToContainTextAsync("Română");

        var phones = page.Locator("#phones button");
        await Assertions.Expect(phones).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#thread")).Not.ToContainTextAsync("actele"); // the first phone's words stay in its thread
        var first = phones.Filter(new() { HasText = First });
        var second = phones.Filter(new() { HasText = Second });
        await Assertions.Expect(first.Locator(".unread")).ToHaveCountAsync(0);

        // Ana answers the first phone while the second is on screen.
        var store = _app.Services.GetRequiredService<IConversationStore>();
        var conversations = await Eventually.ReturnsAsync(async () =>
        {
            var offered = (await store.ListOpenAsync("ana")).Where(c => c.Status == ConversationStatus.Offered).ToList();
            return offered.Count == 2 ? offered : null;
        }, "both offers to Ana");
        var firsts = new List<Conversation>();
        foreach (var c in conversations)
        {
            if ((await store.MessagesAsync(c.Id))[0].Text.Reveal().Contains("actele", StringComparison.Ordinal))
            {
                firsts.Add(c);
            }
        }

        using var ana = await StaffTokens.ClientForAsync(_app, "ana", "counsellor");
        (await ana.PostAsync(new Uri($"/api/conversations/{firsts.Single().Id}/accept", UriKind.Relative), null)).EnsureSuccessStatusCode();
        (await ana.PostAsJsonAsync(new Uri($"/api/conversations/{firsts.Single().Id}/messages", UriKind.Relative), new { text = "Bună, sunt Ana. Ce acte?" })).EnsureSuccessStatusCode();

        await Assertions.Expect(first.Locator(".unread")).ToHaveTextAsync("1 unread", new() { Timeout = 10_000 });
        await Assertions.Expect(second.Locator(".unread")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#thread")).Not.ToContainTextAsync("Ce acte?");
        await Chromium.ScreenshotAsync(page, "sms-simulator-unread");

        await first.ClickAsync();
        await Assertions.Expect(page.Locator("#from")).ToHaveValueAsync(First);
        await Assertions.Expect(page.Locator("#thread li")).ToHaveTextAsync([new Regex("actele"), new Regex("Română"), new Regex("Ce acte\\?")]);
        await Assertions.Expect(first.Locator(".unread")).ToHaveCountAsync(0);
    }

    private static Task<bool> IsRightToLeftAsync(ILocator element) => element.EvaluateAsync<bool>("e => e.matches(':dir(rtl)')");
}

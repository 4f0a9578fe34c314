using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hotline.Conversations;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Hotline.Tests.Pages;

/// <summary>
/// The counsellor console and the supervisor pages as a new member of staff meets them, in a real browser against the
/// app on Azurite: staying signed in within a tab, noticing offers, right-to-left callers, one name per conversation,
/// a lost connection, the emergency panel after a reload, and words instead of codes.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class ConsolePageTests(Chromium chromium) : IAsyncLifetime
{
    private const string Ukrainian = "Добрий день, мені потрібна порада щодо моєї роботи і зарплати";
    private const string Arabic = "مرحبا، صاحب العمل أخذ جواز سفري ولا يدفع راتبي";
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await RunningApp.StartWithRosterAsync(
            [
                new Counsellor("oksana", "Oksana", ["uk", "ru"], OnCall: true, Capacity: 3),
                new Counsellor("wei", "Wei", ["en"], OnCall: true, Capacity: 3) { BringsInterpreter = true },
            ],
            new Dictionary<string, string?>
            {
                ["LocalFunctionsHost:Enabled"] = "false", // routing happens in-process; no queue needed
                ["Routing:Fallback"] = "AnyWithInterpreter",
            });
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private string Url(string path) => new Uri(_app.BaseAddress, path).ToString();

    [Fact]
    public async Task Reloading_or_moving_between_staff_pages_keeps_the_sign_in_for_the_tab_but_a_new_tab_and_signing_out_do_not()
    {
        var console = await chromium.NewPageAsync();
        await SignInAsync(console, "console", "oksana", "counsellor");
        await Assertions.Expect(console.Locator("#me")).ToHaveTextAsync("oksana");

        await console.ReloadAsync();
        await Assertions.Expect(console.Locator("#me")).ToHaveTextAsync("oksana");
        await Assertions.Expect(console.Locator("#conversations")).ToBeVisibleAsync();
        Assert.Equal(0, await console.Locator("#signin-user").CountAsync());

        // Another tab of the same browser is another session: it asks.
        var otherTab = await console.Context.NewPageAsync();
        await otherTab.GotoAsync(Url("console"));
        await Assertions.Expect(otherTab.Locator("#signin-user")).ToBeVisibleAsync();

        // Signing out forgets it: nothing left in the tab, and a reload asks again.
        await console.ClickAsync("#sign-out");
        await Assertions.Expect(console.Locator("#signin-user")).ToBeVisibleAsync();
        Assert.True(await console.EvaluateAsync<bool>("() => sessionStorage.length === 0 && localStorage.length === 0 && document.cookie === ''"));
        await console.ReloadAsync();
        await Assertions.Expect(console.Locator("#signin-user")).ToBeVisibleAsync();

        // A supervisor goes from the board to the escalation log and back without signing in again.
        var board = await chromium.NewPageAsync();
        await SignInAsync(board, "supervisor", "sam", "supervisor");
        await board.ClickAsync("a[href='/supervisor/escalations']");
        await Assertions.Expect(board.Locator("#chain h2")).ToHaveTextAsync("Log chain verified");
        Assert.Equal(0, await board.Locator("#signin-user").CountAsync());
        await board.ClickAsync("a[href='/supervisor']");
        await Assertions.Expect(board.Locator("#user-id")).ToHaveTextAsync("sam");
        await Assertions.Expect(board.Locator("#coverage")).ToContainTextAsync("oksana");
    }

    [Fact]
    public async Task A_new_offer_shows_in_the_tab_title_and_is_announced_in_neutral_words_only_when_the_counsellor_asks()
    {
        var console = await chromium.NewPageAsync();
        // Record notifications instead of showing them (and allow them), to read what one would say.
        await console.AddInitScriptAsync("""
            window.__notifications = [];
            window.Notification = class {
              constructor(title, options) { window.__notifications.push({ title, body: (options && options.body) || '' }); }
              static get permission() { return 'granted'; }
              static requestPermission() { return Promise.resolve('granted'); }
            };
            """);
        await SignInAsync(console, "console", "oksana", "counsellor");
        await Assertions.Expect(console).ToHaveTitleAsync("Hotline console");
        Assert.False(await console.Locator("#announce").IsCheckedAsync()); // off unless asked for

        var sms = new TwilioWebhookClient(_app);
        await sms.SendSmsAsync("+380501120001", Ukrainian);
        await Assertions.Expect(console).ToHaveTitleAsync("(1) Hotline console");
        Assert.Equal(0, await console.EvaluateAsync<int>("() => window.__notifications.length"));

        await console.CheckAsync("#announce");
        await sms.SendSmsAsync("+380501120002", "Доброго вечора, у мене забрали документи на фермі");
        await Assertions.Expect(console).ToHaveTitleAsync("(2) Hotline console");
        await Eventually.TrueAsync(async () => await console.EvaluateAsync<int>("() => window.__notifications.length") == 1, "one notification");
        var notification = await console.EvaluateAsync<JsonElement>("() => window.__notifications[0]");
        Assert.Equal("New conversation offered", notification.GetProperty("title").GetString());
        Assert.Equal("", notification.GetProperty("body").GetString());

        // Accepting one leaves one offer in the title.
        await console.Locator("#conversations button").First.ClickAsync();
        await console.ClickAsync("#accept");
        await Assertions.Expect(console).ToHaveTitleAsync("(1) Hotline console");
    }

    [Fact]
    public async Task Arabic_caller_text_reads_right_to_left_and_an_interpreter_offer_says_why_it_came()
    {
        // Nobody on call speaks Arabic: Wei, who brings an interpreter, is offered it.
        await new TwilioWebhookClient(_app).SendSmsAsync("+201001234567", Arabic);
        var console = await chromium.NewPageAsync();
        await SignInAsync(console, "console", "wei", "counsellor");
        await console.Locator("#conversations button").First.ClickAsync();

        await Assertions.Expect(console.Locator("#offer-reason")).ToHaveTextAsync("Offered to you with an interpreter: nobody on call speaks Arabic.");
        var text = console.Locator("#transcript li.in .text");
        await Assertions.Expect(text).ToHaveTextAsync(Arabic);
        await Assertions.Expect(text).ToHaveAttributeAsync("dir", "auto");
        Assert.Equal("rtl", await text.EvaluateAsync<string>("e => getComputedStyle(e).direction"));

        await console.ClickAsync("#accept");
        await Assertions.Expect(console.Locator("#reply-text")).ToBeEnabledAsync();
        await console.FillAsync("#reply-text", "مرحبا، أنا هنا");
        Assert.Equal("rtl", await console.Locator("#reply-text").EvaluateAsync<string>("e => getComputedStyle(e).direction"));

        // The transfer list names languages in words.
        var options = await console.Locator("#transfer-language option").AllTextContentsAsync();
        Assert.Contains("Ukrainian", options);
        Assert.Contains("Chinese", options);
        Assert.DoesNotContain("uk", options);
        await Chromium.ScreenshotAsync(console, "console-arabic");
    }

    [Fact]
    public async Task The_board_and_the_console_name_a_conversation_the_same_way()
    {
        using var oksana = await StaffTokens.ClientForAsync(_app, "oksana", "counsellor");
        var conversation = await AcceptedUkrainianAsync(oksana, "+380501120011");
        (await oksana.PostAsJsonAsync(new Uri($"/api/conversations/{conversation}/emergency", UriKind.Relative), new { category = "medical" }))
            .EnsureSuccessStatusCode();

        var console = await chromium.NewPageAsync();
        await SignInAsync(console, "console", "oksana", "counsellor");
        var inConsole = console.Locator($"#conversations button[data-id='{conversation}'] .pseudonym");
        await Assertions.Expect(inConsole).ToHaveTextAsync(conversation[..8]);

        var board = await chromium.NewPageAsync();
        await SignInAsync(board, "supervisor", "sam", "supervisor");
        var onBoard = board.Locator("#emergencies tbody tr .mono");
        await Assertions.Expect(onBoard).ToHaveTextAsync(conversation[..8]);
        Assert.Equal(await inConsole.TextContentAsync(), await onBoard.TextContentAsync());

        await console.ClickAsync($"#conversations button[data-id='{conversation}']");
        await Assertions.Expect(console.Locator("#detail-head h2")).ToHaveTextAsync("Conversation " + conversation[..8]);
    }

    [Fact]
    public async Task Closing_a_conversation_asks_first_and_nothing_happens_when_the_counsellor_says_no()
    {
        using var oksana = await StaffTokens.ClientForAsync(_app, "oksana", "counsellor");
        var conversation = await AcceptedUkrainianAsync(oksana, "+380501120021");
        var console = await chromium.NewPageAsync();
        await SignInAsync(console, "console", "oksana", "counsellor");
        await console.ClickAsync($"#conversations button[data-id='{conversation}']");

        var asked = new List<string>();
        var answer = false;
        console.Dialog += (_, dialog) =>
        {
            asked.Add(dialog.Type + ": " + dialog.Message);
            _ = answer ? dialog.AcceptAsync() : dialog.DismissAsync();
        };
        await console.ClickAsync("#close");
        await Eventually.TrueAsync(() => asked.Count == 1, "the question");
        Assert.StartsWith("confirm: Close this conversation?", asked[0], StringComparison.Ordinal);
        await console.WaitForTimeoutAsync(300); // time for a close that should not happen
        var store = _app.Services.GetRequiredService<IConversationStore>();
        Assert.True((await store.FindAsync(conversation))!.IsOpen);

        answer = true;
        await console.ClickAsync("#close");
        await Eventually.TrueAsync(async () => !(await store.FindAsync(conversation))!.IsOpen, "the conversation closed");
        await Assertions.Expect(console.Locator($"#conversations button[data-id='{conversation}']")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task When_the_app_cannot_be_reached_the_console_says_the_connection_is_lost_and_clears_it_once_back()
    {
        var console = await chromium.NewPageAsync();
        await SignInAsync(console, "console", "oksana", "counsellor");
        await Assertions.Expect(console.Locator("#conversations")).ToBeVisibleAsync();

        await console.RouteAsync("**/api/**", route => route.AbortAsync("internetdisconnected"));
        await Assertions.Expect(console.Locator("#error")).ToHaveTextAsync("The connection to the hotline is lost. Trying again…");

        await console.UnrouteAsync("**/api/**");
        await Assertions.Expect(console.Locator("#error")).ToHaveTextAsync("");
        await new TwilioWebhookClient(_app).SendSmsAsync("+380501120031", Ukrainian);
        await Assertions.Expect(console.Locator("#conversations button")).ToHaveCountAsync(1); // polling went on
    }

    [Fact]
    public async Task The_emergency_panel_fills_its_agencies_without_a_reload_shows_what_was_recorded_after_one_and_the_partners_receipt()
    {
        using var oksana = await StaffTokens.ClientForAsync(_app, "oksana", "counsellor");
        var conversation = await AcceptedUkrainianAsync(oksana, "+380501120041");
        var console = await chromium.NewPageAsync();
        await SignInAsync(console, "console", "oksana", "counsellor");
        await console.ClickAsync($"#conversations button[data-id='{conversation}']");
        await console.ClickAsync("details.emergency summary");
        await Assertions.Expect(console.Locator("#referral-agency option")).ToHaveTextAsync(["No partner agencies yet"]);

        // A supervisor adds an agency while the console is open: it appears in "Refer to".
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        (await sam.PutAsJsonAsync(new Uri("/api/partners/la-strada", UriKind.Relative), new
        {
            name = "La Strada", webhookUrl = "http://127.0.0.1:9/referrals", alertPhones = Array.Empty<string>(), ackDeadline = "00:15:00",
        })).EnsureSuccessStatusCode();
        await Assertions.Expect(console.Locator("#referral-agency option")).ToHaveTextAsync(["La Strada (la-strada)"], new() { Timeout = 15000 });

        // Raised with no supervisor phone configured: the console says where the alert went.
        await console.SelectOptionAsync("#emergency-category", "violence-now");
        await console.FillAsync("#emergency-location", "Ферма біля Одеси");
        await console.ClickAsync("#emergency-raise");
        await Assertions.Expect(console.Locator("#emergency-status")).ToContainTextAsync("the alert shows on the supervisor board only");
        await console.CheckAsync("#consent-category");
        await console.CheckAsync("#consent-location");
        await console.ClickAsync("#referral-send");
        await Assertions.Expect(console.Locator("#emergency-status")).ToContainTextAsync("is being sent to la-strada");

        // After a reload the panel shows what was recorded.
        await console.ReloadAsync();
        await Assertions.Expect(console.Locator("details.emergency")).ToHaveAttributeAsync("open", "");
        var recorded = console.Locator("#emergency-recorded");
        await Assertions.Expect(recorded).ToContainTextAsync("violence now");
        await Assertions.Expect(recorded.Locator("#recorded-location")).ToHaveTextAsync("Ферма біля Одеси");
        await Assertions.Expect(recorded).ToContainTextAsync("la-strada: the caller said so");
        await Assertions.Expect(console.Locator("#referral-states li")).ToHaveTextAsync("la-strada: being sent");
        await Assertions.Expect(console.Locator("#emergency-category")).ToHaveValueAsync("violence-now");
        await Assertions.Expect(console.Locator("#emergency-location")).ToHaveValueAsync("Ферма біля Одеси");
        await Assertions.Expect(console.Locator("#detail-head")).Not.ToContainTextAsync("null"); // nothing missing shows as a word

        // The agency acknowledges: the counsellor sees it, with the time.
        using var partner = await StaffTokens.ClientForAsync(_app, "la-strada", "partner");
        var referral = (await partner.GetFromJsonAsync<JsonElement>(new Uri("/api/referrals", UriKind.Relative)))[0].GetProperty("id").GetString();
        (await partner.PostAsync(new Uri($"/api/referrals/{referral}/ack", UriKind.Relative), null)).EnsureSuccessStatusCode();
        await Assertions.Expect(console.Locator("#referral-states li")).ToHaveTextAsync(new Regex(@"^la-strada: acknowledged at \d"));
        await Chromium.ScreenshotAsync(console, "console-emergency");
    }

    [Fact]
    public async Task The_emergency_answer_says_the_supervisor_was_texted_and_to_how_many_numbers()
    {
        await using var app = await RunningApp.StartWithRosterAsync(
            [new Counsellor("oksana", "Oksana", ["uk"], OnCall: true, Capacity: 3)],
            new Dictionary<string, string?>
            {
                ["LocalFunctionsHost:Enabled"] = "false",
                ["Alerts:SupervisorNumbers"] = "+40711111111, +40722222222",
                ["Alerts:FromNumber"] = TwilioWebhookClient.GeneralNumber,
            });
        using var oksana = await StaffTokens.ClientForAsync(app, "oksana", "counsellor");
        var conversation = await AcceptedUkrainianAsync(oksana, "+380501120051", app);
        var console = await chromium.NewPageAsync();
        await console.GotoAsync(new Uri(app.BaseAddress, "console").ToString());
        await console.FillAsync("#signin-user", "oksana");
        await console.ClickAsync("#signin-submit");
        await console.ClickAsync($"#conversations button[data-id='{conversation}']");
        await console.ClickAsync("details.emergency summary");
        await console.ClickAsync("#emergency-raise");
        await Assertions.Expect(console.Locator("#emergency-status"))
            .ToContainTextAsync("The supervisor on duty was texted (2 numbers) and sees it on the supervisor board.");

        // And without numbers (this class's app), the answer says the board only.
        using var other = await StaffTokens.ClientForAsync(_app, "oksana", "counsellor");
        var second = await AcceptedUkrainianAsync(other, "+380501120052");
        var answer = await (await other.PostAsJsonAsync(new Uri($"/api/conversations/{second}/emergency", UriKind.Relative), new { }))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("board", answer.GetProperty("supervisorAlert").GetProperty("via").GetString());
        Assert.Equal(0, answer.GetProperty("supervisorAlert").GetProperty("numbers").GetInt32());
    }

    [Fact]
    public async Task Staff_pages_use_words_not_codes_and_the_forms_show_examples()
    {
        using var oksana = await StaffTokens.ClientForAsync(_app, "oksana", "counsellor");
        var conversation = await AcceptedUkrainianAsync(oksana, "+380501120061");
        var console = await chromium.NewPageAsync();
        await SignInAsync(console, "console", "oksana", "counsellor");
        await console.ClickAsync($"#conversations button[data-id='{conversation}']");
        await console.ClickAsync("details.intake summary");
        Assert.Contains("18–24", await console.Locator("#intake-ageGroup option").AllTextContentsAsync());
        Assert.Contains("co-worker", await console.Locator("#intake-callerRole option").AllTextContentsAsync());
        await Assertions.Expect(console.Locator("#my-languages")).ToHaveTextAsync("Languages: Ukrainian, Russian");

        // Saving without the caller's approval names the box to tick.
        await console.ClickAsync("#intake-save");
        await Assertions.Expect(console.Locator("#intake [role=status]")).ToContainTextAsync("tick \"The caller agreed to these details being recorded\"");
        Assert.Null(await _app.Services.GetRequiredService<IConversationStore>().FindIntakeAsync(conversation));

        // The partner directory: deadlines in minutes, examples in the form.
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        (await sam.PutAsJsonAsync(new Uri("/api/partners/la-strada", UriKind.Relative), new
        {
            name = "La Strada", webhookUrl = "https://partner.example.org/referrals", alertPhones = Array.Empty<string>(), ackDeadline = "00:15:00",
        })).EnsureSuccessStatusCode();
        var escalations = await chromium.NewPageAsync();
        await SignInAsync(escalations, "supervisor/escalations", "sam", "supervisor");
        await Assertions.Expect(escalations.Locator("#partner-list tbody td").Last).ToHaveTextAsync("15 minutes");
        await Assertions.Expect(escalations.Locator("#p-webhook")).ToHaveAttributeAsync("placeholder", "https://…");
        await Assertions.Expect(escalations.Locator("#p-phones")).ToHaveAttributeAsync("placeholder", new Regex(@"^\+40"));
        await Chromium.ScreenshotAsync(escalations, "escalations-partners");
    }

    [Fact]
    public async Task The_board_says_who_on_call_has_no_console_open_and_a_language_only_they_cover()
    {
        // On call, never signed in: offered nothing, which the supervisor must be able to see.
        await _app.Services.GetRequiredService<IRosterStore>().SaveAsync(new Counsellor("karim", "Karim", ["ar"], OnCall: true, Capacity: 2));
        var board = await chromium.NewPageAsync();
        await SignInAsync(board, "supervisor", "sam", "supervisor");

        var arabic = board.Locator("#coverage-body tr", new() { HasText = "(ar)" });
        await Assertions.Expect(arabic).ToContainTextAsync("karim (console closed)");
        await Assertions.Expect(arabic.Locator(".badge")).ToHaveTextAsync("no console open");
        await Assertions.Expect(arabic).ToHaveClassAsync("gap");
        var ukrainian = board.Locator("#coverage-body tr", new() { HasText = "(uk)" });
        await Assertions.Expect(ukrainian.Locator("td").Last).ToHaveTextAsync("oksana");
        await Assertions.Expect(board.Locator("#counsellors-body tr", new() { HasText = "karim" }).Locator(".console-state")).ToHaveTextAsync("not opened");
        await Assertions.Expect(board.Locator("#counsellors-body tr", new() { HasText = "oksana" }).Locator(".console-state")).ToHaveTextAsync("open");
    }

    [Fact]
    public async Task A_counsellor_sets_their_phone_in_the_console_and_sees_it_only_masked()
    {
        var console = await chromium.NewPageAsync();
        await SignInAsync(console, "console", "oksana", "counsellor");
        var summary = console.Locator("#phone-summary");
        await Assertions.Expect(summary).ToHaveTextAsync("Your phone: none given (calls cannot ring you)");
        await summary.ClickAsync();
        await Assertions.Expect(console.Locator("#phone-calls")).ToBeDisabledAsync();

        // A number without its country code is refused with the reason.
        await console.FillAsync("#phone-number", "07700 900654");
        await console.ClickAsync("#my-phone button[type=submit]");
        await Assertions.Expect(console.Locator("#phone-status")).ToContainTextAsync("international form");

        await console.FillAsync("#phone-number", "+44 7700 900654");
        await console.ClickAsync("#my-phone button[type=submit]");
        await Assertions.Expect(summary).ToHaveTextAsync("Your phone •••• 0654: rings only while this console is open");
        await Assertions.Expect(console.Locator("#phone-number")).ToHaveValueAsync("");
        await console.CheckAsync("#phone-calls");
        await Assertions.Expect(summary).ToHaveTextAsync("Your phone •••• 0654: takes calls without the console");
        await Assertions.Expect(console.Locator("#phone-status")).ToHaveTextAsync("");

        var oksana = await _app.Services.GetRequiredService<IRosterStore>().FindAsync("oksana");
        Assert.Equal(("+447700900654", true), (oksana!.Phone?.Reveal(), oksana.TakesCallsOnPhone));
        Assert.DoesNotContain("900654", await console.ContentAsync(), StringComparison.Ordinal);
        await Chromium.ScreenshotAsync(console, "console-phone");
    }

    /// <summary>A Ukrainian SMS conversation, offered to and accepted by the counsellor the client signs in as.</summary>
    private async Task<string> AcceptedUkrainianAsync(HttpClient counsellor, string phone, RunningApp? app = null)
    {
        app ??= _app;
        await new TwilioWebhookClient(app).SendSmsAsync(phone, Ukrainian);
        var store = app.Services.GetRequiredService<IConversationStore>();
        var offered = await Eventually.ReturnsAsync(async () =>
            (await store.ListOpenAsync("oksana")).FirstOrDefault(c => c.Status == ConversationStatus.Offered), "the offer to Oksana");
        (await counsellor.PostAsync(new Uri($"/api/conversations/{offered.Id}/accept", UriKind.Relative), null)).EnsureSuccessStatusCode();
        return offered.Id;
    }

    private async Task SignInAsync(IPage page, string path, string user, string role)
    {
        await page.GotoAsync(Url(path));
        await page.FillAsync("#signin-user", user);
        await page.SelectOptionAsync("#signin-role", role);
        await page.ClickAsync("#signin-submit");
        await page.Locator("#signin-submit").WaitForAsync(new() { State = WaitForSelectorState.Detached });
    }
}

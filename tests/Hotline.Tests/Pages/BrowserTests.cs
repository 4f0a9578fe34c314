using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Hotline.Conversations;
using Hotline.Messaging;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Hotline.Tests.Pages;

/// <summary>
/// The three pages in a real browser (Debian's Chromium through Playwright) against the app on Azurite: a caller
/// chats, a counsellor answers from the console, a supervisor watches the board.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class BrowserTests(Chromium chromium) : IAsyncLifetime
{
    private const string Ukrainian = "Добрий день, мені потрібна допомога, роботодавець забрав мій паспорт";
    private RunningApp _app = null!;
    private WebApplication _neutral = null!;
    private string _neutralUrl = null!;

    public async Task InitializeAsync()
    {
        // The ordinary site quick exit goes to, on loopback (the tests have no internet).
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _neutral = builder.Build();
        _neutral.MapGet("/{**path}", () => Results.Content("<!doctype html><title>Weather</title><p>Sunny, 21 °C</p>", "text/html"));
        await _neutral.StartAsync();
        _neutralUrl = _neutral.Urls.First().TrimEnd('/') + "/weather";

        _app = await RunningApp.StartWithRosterAsync(
            [
                new Counsellor("oksana", "Oksana", ["uk", "ru"], OnCall: true, Capacity: 3),
                new Counsellor("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 3),
                new Counsellor("sam", "Sam", ["en"], OnCall: false, Capacity: 2),
            ],
            new Dictionary<string, string?>
            {
                ["LocalFunctionsHost:Enabled"] = "false", // routing happens in-process; no queue needed
                ["Chat:QuickExitUrl"] = _neutralUrl,
                ["Routing:Fallback"] = "InterpreterService",
            });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _neutral.DisposeAsync();
    }

    private string Url(string path) => new Uri(_app.BaseAddress, path).ToString();

    [Fact]
    public async Task A_caller_chats_in_Ukrainian_the_Ukrainian_counsellor_sees_it_within_3_s_answers_and_the_caller_sees_the_answer_within_3_s()
    {
        var console = await chromium.NewPageAsync();
        await SignInAsync(console, "console", "oksana", "counsellor");
        await console.Locator("#conversations").WaitForAsync();

        var caller = await chromium.NewPageAsync(locale: "uk-UA", width: 390, height: 780);
        await caller.GotoAsync(Url("chat"));
        var texts = _app.Services.GetRequiredService<CallerTexts>();
        await Assertions.Expect(caller.Locator("#heading")).ToHaveTextAsync(texts.Get("uk", CallerText.ChatHeading));
        Assert.Equal("uk", await caller.Locator("html").GetAttributeAsync("lang"));
        await caller.ClickAsync("#start");
        await caller.FillAsync("#message", Ukrainian);
        await caller.ClickAsync("#send");
        var sent = Stopwatch.StartNew();

        var item = console.Locator("#conversations button", new() { HasText = "uk" });
        await item.WaitForAsync(new() { Timeout = 3000 });
        Assert.True(sent.Elapsed < TimeSpan.FromSeconds(3), $"the console showed it after {sent.Elapsed.TotalSeconds:F1} s");
        await Assertions.Expect(caller.Locator("#transcript li.note")).ToContainTextAsync("Українська");

        await item.ClickAsync();
        await console.ClickAsync("#accept");
        await Assertions.Expect(console.Locator("#transcript li.in .text")).ToHaveTextAsync(Ukrainian);
        await console.FillAsync("#reply-text", "Вітаю, я Оксана. Ви зараз у безпеці?");
        await Assertions.Expect(console.Locator("#reply-send")).ToBeEnabledAsync();
        await console.ClickAsync("#reply-send");
        var answered = Stopwatch.StartNew();

        await caller.Locator("#transcript li.out").WaitForAsync(new() { Timeout = 3000 });
        Assert.True(answered.Elapsed < TimeSpan.FromSeconds(3), $"the caller saw the answer after {answered.Elapsed.TotalSeconds:F1} s");
        await Assertions.Expect(caller.Locator("#transcript li.out")).ToContainTextAsync("Ви зараз у безпеці?");
        await Assertions.Expect(console.Locator("#transcript li.out")).ToContainTextAsync("Ви зараз у безпеці?");

        await Chromium.ScreenshotAsync(caller, "chat");

        // The intake form, once the caller agreed.
        await console.ClickAsync("details.intake summary");
        await console.SelectOptionAsync("#intake-callType", "reporting-trafficking");
        await console.CheckAsync("#indicator-retention-of-identity-documents");
        await console.ClickAsync("#intake-save");
        await Assertions.Expect(console.Locator("#intake [role=status]")).ToContainTextAsync("approval");
        await console.CheckAsync("#intake-approved");
        await console.ClickAsync("#intake-save");
        await Assertions.Expect(console.Locator("#intake [role=status]")).ToHaveTextAsync("Saved.");
        var id = (await _app.Services.GetRequiredService<IConversationStore>().ListOpenAsync("oksana")).Single().Id;
        var intake = await _app.Services.GetRequiredService<IConversationStore>().FindIntakeAsync(id);
        Assert.Equal("reporting-trafficking", intake!.CallType);
        Assert.Equal(["retention-of-identity-documents"], intake.Indicators);
        await AssertEveryFieldIsLabelledAsync(console);
        await Chromium.ScreenshotAsync(console, "console");

        // Going off call from the console.
        await console.UncheckAsync("#on-call");
        await Eventually.TrueAsync(async () => (await _app.Services.GetRequiredService<IRosterStore>().FindAsync("oksana"))!.OnCall == false, "Oksana off call");
    }

    [Fact]
    public async Task Quick_exit_leaves_no_trace_storage_empty_page_emptied_neutral_url_and_no_chat_in_the_back_history()
    {
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(_neutralUrl.Replace("/weather", "/home", StringComparison.Ordinal)); // where the caller came from
        await page.GotoAsync(Url("chat"));
        await page.ClickAsync("#start");
        await page.FillAsync("#message", "I need help");
        await page.ClickAsync("#send");
        await Assertions.Expect(page.Locator("#transcript li.in")).ToHaveCountAsync(1);

        // Nothing of the chat is kept by the browser: no cookies, no web storage, no databases.
        Assert.True(await page.EvaluateAsync<bool>(
            "async () => localStorage.length === 0 && sessionStorage.length === 0 && document.cookie === '' && (await indexedDB.databases()).length === 0"));
        Assert.Empty(await page.Context.CookiesAsync());
        var historyBefore = await page.EvaluateAsync<int>("history.length");

        // The first time, stop the way out (as a slow network would) to look at the chat page as it is left.
        await page.RouteAsync(_neutralUrl, route => route.AbortAsync("aborted"));
        await page.Keyboard.PressAsync("Escape");
        await page.Keyboard.PressAsync("Escape");
        await Eventually.TrueAsync(async () => await page.EvaluateAsync<int>("document.body.childElementCount") == 0, "the page emptied");
        Assert.Equal(string.Empty, await page.EvaluateAsync<string>("document.body.textContent"));
        Assert.Equal(string.Empty, await page.TitleAsync());

        await page.UnrouteAsync(_neutralUrl);
        await page.Keyboard.PressAsync("Escape");
        await page.Keyboard.PressAsync("Escape");
        await Eventually.TrueAsync(() => page.Url == _neutralUrl, "the neutral site");
        await Assertions.Expect(page.Locator("body")).ToContainTextAsync("Sunny");

        Assert.Equal(historyBefore, await page.EvaluateAsync<int>("history.length")); // replaced, not added
        await page.GoBackAsync();
        Assert.DoesNotContain("/chat", page.Url, StringComparison.Ordinal);
        Assert.Empty(await page.Context.CookiesAsync());

        // Nobody had answered yet: the conversation is closed rather than left waiting for someone who has gone.
        var store = _app.Services.GetRequiredService<IConversationStore>();
        await Eventually.TrueAsync(async () => (await store.ListOpenAsync()).All(c => c.Channel != Channels.Chat), "the chat closed");
    }

    [Fact]
    public async Task A_message_with_markup_shows_as_text_in_the_console_and_runs_nothing()
    {
        const string Attack = "<img src=x onerror=alert(1)><script>alert(2)</script>";
        var console = await chromium.NewPageAsync();
        var dialogs = 0;
        console.Dialog += (_, dialog) => { dialogs++; _ = dialog.DismissAsync(); };
        await SignInAsync(console, "console", "ioana", "counsellor");

        var caller = await chromium.NewPageAsync(locale: "ro-RO");
        caller.Dialog += (_, dialog) => { dialogs++; _ = dialog.DismissAsync(); };
        await caller.GotoAsync(Url("chat"));
        await caller.ClickAsync("#start");
        await caller.FillAsync("#message", Attack);
        await caller.ClickAsync("#send");

        await console.Locator("#conversations button").First.ClickAsync(new() { Timeout = 5000 });
        await console.ClickAsync("#accept");
        var shown = console.Locator("#transcript li.in .text");
        await Assertions.Expect(shown).ToHaveTextAsync(Attack);
        Assert.Equal(0, await console.Locator("#transcript img, #transcript script").CountAsync());
        Assert.Equal(0, await caller.Locator("#transcript img, #transcript script").CountAsync());
        await Assertions.Expect(caller.Locator("#transcript li.in")).ToContainTextAsync("<img src=x");
        await console.WaitForTimeoutAsync(500);
        Assert.Equal(0, dialogs);
    }

    [Fact]
    public async Task The_language_picker_decides_the_chat_language_and_a_late_answer_for_an_earlier_choice_does_not_undo_it()
    {
        var caller = await chromium.NewPageAsync(locale: "en-GB");
        await caller.GotoAsync(Url("chat"));
        await Assertions.Expect(caller.Locator("html")).ToHaveAttributeAsync("lang", "en");

        // Ukrainian's texts are held back until the page has switched to Romanian, chosen second.
        await caller.RouteAsync("**/api/chat/texts/uk", async route =>
        {
            await caller.WaitForFunctionAsync("() => document.documentElement.lang === 'ro'");
            await route.ContinueAsync();
        });
        var lateUkrainian = caller.WaitForResponseAsync(r => r.Url.EndsWith("/api/chat/texts/uk", StringComparison.Ordinal));
        await caller.SelectOptionAsync("#language", "uk");
        await caller.SelectOptionAsync("#language", "ro");
        await lateUkrainian;
        await caller.EvaluateAsync("() => new Promise((done) => setTimeout(done, 300))"); // time to (wrongly) apply it

        Assert.Equal("ro", await caller.Locator("html").GetAttributeAsync("lang"));
        Assert.Equal("ro", await caller.Locator("#language").InputValueAsync());
        await caller.ClickAsync("#start");
        await caller.FillAsync("#message", "OK?");
        await caller.ClickAsync("#send");
        var store = _app.Services.GetRequiredService<IConversationStore>();
        var offered = await Eventually.ReturnsAsync(async () => (await store.ListOpenAsync("ioana")).FirstOrDefault(), "the offer to Ioana");
        Assert.Equal(("chat", "ro"), (offered.Channel, offered.Language));
    }

    [Fact]
    public async Task What_a_counsellor_is_typing_or_choosing_survives_new_messages_a_failed_refresh_and_switching_conversations()
    {
        var sms = new TwilioWebhookClient(_app);
        await sms.SendSmsAsync("+380501110001", Ukrainian);
        var console = await chromium.NewPageAsync();
        await SignInAsync(console, "console", "oksana", "counsellor");
        await console.Locator("#conversations button").First.ClickAsync();
        await console.ClickAsync("#accept");
        await console.FillAsync("#reply-text", "Зараз я вам поясню");
        await console.SelectOptionAsync("#transfer-language", "ru");
        await console.ClickAsync("details.intake summary");
        await console.FillAsync("#intake-note", "Паспорт у роботодавця");

        // A new message redraws the transcript and the actions.
        await sms.SendSmsAsync("+380501110001", "Ви ще тут? Мені страшно");
        await Assertions.Expect(console.Locator("#transcript li.in")).ToHaveCountAsync(2);
        await Assertions.Expect(console.Locator("#transfer-language")).ToHaveValueAsync("ru");
        await Assertions.Expect(console.Locator("#reply-text")).ToHaveValueAsync("Зараз я вам поясню");
        await Assertions.Expect(console.Locator("details.intake")).ToHaveAttributeAsync("open", "");

        // The server fails a refresh: the error shows, the draft and the form stay.
        await console.RouteAsync("**/api/conversations/c-*", route => route.FulfillAsync(new() { Status = 503, ContentType = "application/problem+json", Body = """{"title":"Storage is busy"}""" }));
        await Assertions.Expect(console.Locator("#error")).ToHaveTextAsync("Storage is busy");
        await console.UnrouteAsync("**/api/conversations/c-*");
        await Assertions.Expect(console.Locator("#error")).ToHaveTextAsync("");
        await Assertions.Expect(console.Locator("#reply-text")).ToHaveValueAsync("Зараз я вам поясню");
        await Assertions.Expect(console.Locator("#intake-note")).ToHaveValueAsync("Паспорт у роботодавця");

        // Choosing another conversation takes the first off the screen at once, before the second has loaded.
        await sms.SendSmsAsync("+380501110002", "Доброго вечора, у мене забрали документи на фермі");
        var second = console.Locator("#conversations button", new() { HasText = "offered" });
        await second.WaitForAsync();
        var release = new TaskCompletionSource();
        await console.RouteAsync("**/api/conversations/c-*", async route => { await release.Task; await route.ContinueAsync(); });
        await second.ClickAsync();
        await Assertions.Expect(console.Locator("#reply-text")).ToHaveCountAsync(0);
        await Assertions.Expect(console.Locator("#conversation")).ToContainTextAsync("Loading");
        release.SetResult();
        await Assertions.Expect(console.Locator("#accept")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_counsellor_cannot_open_another_counsellors_conversation()
    {
        var store = _app.Services.GetRequiredService<IConversationStore>();
        await new TwilioWebhookClient(_app).SendSmsAsync("+380501112233", Ukrainian);
        var oksanas = await Eventually.ReturnsAsync(async () =>
            (await store.ListOpenAsync("oksana")).FirstOrDefault(c => c.Status == ConversationStatus.Offered), "the offer to Oksana");

        var ioana = await chromium.NewPageAsync();
        await SignInAsync(ioana, "console", "ioana", "counsellor");
        await ioana.EvaluateAsync("id => { location.hash = id; }", oksanas.Id);

        await Assertions.Expect(ioana.Locator("#conversation [role=alert]")).ToContainTextAsync("No such conversation among those you can see");
        Assert.Equal(0, await ioana.Locator("#transcript").CountAsync());
        Assert.Equal(0, await ioana.Locator("#conversations button").CountAsync());
        await Assertions.Expect(ioana.Locator("#conversation")).Not.ToContainTextAsync(Ukrainian);
    }

    [Fact]
    public async Task The_supervisor_board_shows_a_waiting_conversation_and_the_language_nobody_covers()
    {
        // Nobody on call speaks Chinese and the fallback finds nobody: the conversation waits.
        await new TwilioWebhookClient(_app).SendSmsAsync("+8613800138000", "你好，我需要帮助，老板拿走了我的护照，我不能离开");
        var store = _app.Services.GetRequiredService<IConversationStore>();
        await Eventually.TrueAsync(async () => (await store.ListOpenAsync()).Any(c => c.Language == "zh" && c.Status == ConversationStatus.Waiting), "a waiting conversation");

        var board = await chromium.NewPageAsync();
        await SignInAsync(board, "supervisor", "sam", "supervisor");

        await Assertions.Expect(board.Locator("#waiting")).ToContainTextAsync("zh", new() { Timeout = 5000 });
        await Assertions.Expect(board.Locator("#coverage")).ToContainTextAsync("no one on call");
        await Assertions.Expect(board.Locator("#counsellors")).ToContainTextAsync("oksana");
        await Assertions.Expect(board.Locator("#roster")).ToContainTextAsync("Ioana");
        await board.Locator("#charts svg").First.WaitForAsync();
        await Chromium.ScreenshotAsync(board, "supervisor");

        // The roster: add a counsellor from the board.
        await board.ClickAsync("#roster-add");
        await board.FillAsync("#rf-id", "wei");
        await board.FillAsync("#rf-name", "Wei");
        await board.FillAsync("#rf-languages", "zh, en");
        await board.FillAsync("#rf-capacity", "2");
        await board.CheckAsync("#rf-oncall");
        await AssertEveryFieldIsLabelledAsync(board);
        await board.ClickAsync("#roster-form button[type=submit]");
        await Assertions.Expect(board.Locator("#roster-list")).ToContainTextAsync("Wei");
        var wei = await _app.Services.GetRequiredService<IRosterStore>().FindAsync("wei");
        Assert.Equal(["zh", "en"], wei!.Languages);
        Assert.Equal((true, 2), (wei.OnCall, wei.Capacity));
    }

    [Fact]
    public async Task The_chat_page_is_light_self_contained_and_right_to_left_in_Arabic()
    {
        var page = await chromium.NewPageAsync(locale: "ar-EG", width: 360, height: 640);
        var origins = new HashSet<string>();
        page.Request += (_, request) => origins.Add(new Uri(request.Url).GetLeftPart(UriPartial.Authority));
        var response = await page.GotoAsync(Url("chat"));
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("dir", "rtl");

        Assert.Contains("script-src 'self'", response!.Headers["content-security-policy"], StringComparison.Ordinal);
        Assert.Equal("no-store", response.Headers["cache-control"]);
        Assert.Equal(0, await page.Locator("script:not([src])").CountAsync());
        Assert.Equal([_app.BaseAddress.GetLeftPart(UriPartial.Authority)], origins);
        var bytes = await page.EvaluateAsync<double>(
            "() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((s, e) => s + e.transferSize, 0)");
        Assert.InRange(bytes, 1, 100_000);
        Assert.Equal("Chat", await page.TitleAsync()); // the neutral default title
        await Chromium.ScreenshotAsync(page, "chat-arabic");

        await AssertEveryFieldIsLabelledAsync(page);
        await page.ClickAsync("#exit"); // the quick exit button is there from the first view
        await Eventually.TrueAsync(() => page.Url == _neutralUrl, "the neutral site");
    }

    [Fact]
    public async Task The_chat_sends_its_exact_policy_breaks_none_of_it_and_works_by_keyboard_and_with_a_screen_reader()
    {
        const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        var caller = await chromium.NewPageAsync(locale: "uk-UA");
        // Every Content Security Policy violation in the page, from before its first byte.
        await caller.AddInitScriptAsync(
            "window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => " +
            "window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));");
        var response = await caller.GotoAsync(Url("chat"));
        Assert.Equal(Policy, response!.Headers["content-security-policy"]);

        // After Start, the caller can type at once, and Tab goes on to Send; every field has a label.
        await caller.ClickAsync("#start");
        await Assertions.Expect(caller.Locator("#message")).ToBeVisibleAsync();
        await Assertions.Expect(caller.Locator("#message")).ToBeFocusedAsync();
        await AssertEveryFieldIsLabelledAsync(caller);
        await caller.Keyboard.PressAsync("Tab");
        await Assertions.Expect(caller.Locator("#send")).ToBeFocusedAsync();
        await caller.FillAsync("#message", Ukrainian);
        await caller.ClickAsync("#send");
        await Assertions.Expect(caller.Locator("#transcript li.in")).ToHaveCountAsync(1);

        var store = _app.Services.GetRequiredService<IConversationStore>();
        var offered = await Eventually.ReturnsAsync(async () =>
            (await store.ListOpenAsync("oksana")).FirstOrDefault(c => c.Channel == Channels.Chat), "the offer to Oksana");
        using var oksana = await StaffTokens.ClientForAsync(_app, "oksana", "counsellor");
        (await oksana.PostAsync(new Uri($"/api/conversations/{offered.Id}/accept", UriKind.Relative), null)).EnsureSuccessStatusCode();
        (await oksana.PostAsJsonAsync(new Uri($"/api/conversations/{offered.Id}/messages", UriKind.Relative), new { text = "Вітаю, я Оксана." }))
            .EnsureSuccessStatusCode();

        // The reply is put inside a live region, so a screen reader reads it out as it arrives.
        var reply = caller.Locator("#transcript li.out");
        await Assertions.Expect(reply).ToContainTextAsync("Вітаю, я Оксана.");
        Assert.Equal("polite", await reply.EvaluateAsync<string?>("li => li.closest('[aria-live]')?.getAttribute('aria-live') ?? null"));

        Assert.Empty(await caller.EvaluateAsync<string[]>("() => window.__violations"));
    }

    [Fact]
    public async Task A_conversation_not_open_shows_a_new_message_as_unread_and_an_offered_one_shows_how_long_its_caller_waits()
    {
        var sms = new TwilioWebhookClient(_app);
        var store = _app.Services.GetRequiredService<IConversationStore>();
        await sms.SendSmsAsync("+380501110021", Ukrainian);
        var first = await Eventually.ReturnsAsync(async () => (await store.ListOpenAsync("oksana")).FirstOrDefault(), "the first offer");
        await sms.SendSmsAsync("+380501110022", "Доброго вечора, у мене забрали документи на фермі");
        var second = await Eventually.ReturnsAsync(async () =>
            (await store.ListOpenAsync("oksana")).FirstOrDefault(c => c.Id != first.Id), "the second offer");

        var console = await chromium.NewPageAsync();
        await SignInAsync(console, "console", "oksana", "counsellor");
        ILocator Item(string id) => console.Locator($"#conversations button[data-id='{id}']");

        // Nobody has accepted either: each shows how long its caller has been waiting.
        await Assertions.Expect(Item(first.Id).Locator(".wait")).ToHaveTextAsync(new Regex(@"^waiting \d+ s$"));
        await Assertions.Expect(Item(second.Id).Locator(".wait")).ToHaveTextAsync(new Regex(@"^waiting \d+ s$"));

        // Read the second, then open the first: nothing is unread.
        await Item(second.Id).ClickAsync();
        await Assertions.Expect(console.Locator("#conversation")).ToHaveAttributeAsync("data-id", second.Id);
        await Item(first.Id).ClickAsync();
        await Assertions.Expect(console.Locator("#conversation")).ToHaveAttributeAsync("data-id", first.Id);
        await Assertions.Expect(console.Locator("#conversations .unread")).ToHaveCountAsync(0);

        // The second caller writes again: their conversation, not the open one, is marked.
        await sms.SendSmsAsync("+380501110022", "Ви ще тут? Мені страшно");
        await Assertions.Expect(Item(second.Id).Locator(".unread")).ToHaveCountAsync(1);
        await Assertions.Expect(Item(second.Id).Locator(".unread")).ToHaveAttributeAsync("aria-label", "New messages");
        await Assertions.Expect(Item(first.Id).Locator(".unread")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_supervisor_board_shows_the_oldest_wait_edits_a_roster_entry_and_draws_both_charts()
    {
        // A Chinese conversation waiting for ten minutes already, and one that has just come in (nobody speaks Chinese).
        var store = _app.Services.GetRequiredService<IConversationStore>();
        var tenMinutesAgo = DateTimeOffset.UtcNow.AddMinutes(-10);
        await store.CreateAsync(
            new Conversation
            {
                Id = ConversationIds.New(), Channel = Channels.Sms, Language = "zh", CallerPseudonym = "p-long-wait",
                Status = ConversationStatus.Waiting, CreatedAt = tenMinutesAgo, LastMessageAt = tenMinutesAgo,
            },
            new ConversationMessage("m1", MessageDirection.Inbound, new SensitiveText("你好"), tenMinutesAgo), null);
        var sms = new TwilioWebhookClient(_app);
        await sms.SendSmsAsync("+8613800138001", "你好，我需要帮助，老板拿走了我的护照");
        await Eventually.TrueAsync(async () =>
            (await store.ListOpenAsync()).Count(c => c.Language == "zh" && c.Status == ConversationStatus.Waiting) == 2, "two waiting in Chinese");

        // A Ukrainian SMS that Oksana accepts: a wait to acceptance for the chart.
        await sms.SendSmsAsync("+380501110031", Ukrainian);
        var offered = await Eventually.ReturnsAsync(async () => (await store.ListOpenAsync("oksana")).FirstOrDefault(), "the offer to Oksana");
        using var oksana = await StaffTokens.ClientForAsync(_app, "oksana", "counsellor");
        (await oksana.PostAsync(new Uri($"/api/conversations/{offered.Id}/accept", UriKind.Relative), null)).EnsureSuccessStatusCode();

        var board = await chromium.NewPageAsync();
        await SignInAsync(board, "supervisor", "sam", "supervisor");

        // The waiting panel: two in Chinese, the older one's ten minutes flagged as over two minutes.
        await Assertions.Expect(board.Locator("#waiting tbody tr", new() { HasText = "zh" }).Locator("td")).ToHaveTextAsync(
            [new Regex(@"\(zh\)$"), new Regex("^2$"), new Regex(@"^1[01] min \(over 2 minutes\)$")], new() { Timeout = 5000 });

        // Both charts, each named for what it shows: Ukrainian's wait to acceptance, and the SMS contacts of the day.
        var charts = board.Locator("#charts svg[role=img]");
        await Assertions.Expect(charts).ToHaveCountAsync(2);
        await Assertions.Expect(charts.Nth(0).Locator(":scope > title")).ToHaveTextAsync("Average wait to acceptance per language, last 24 h");
        await Assertions.Expect(charts.Nth(0)).ToHaveAccessibleNameAsync(
            new Regex(@"^Average wait to acceptance per language, last 24 h: uk [\d.]+ min over 1 contacts\.$"));
        await Assertions.Expect(charts.Nth(1).Locator(":scope > title")).ToHaveTextAsync("Contacts per channel per day, last 14 days");
        await Assertions.Expect(charts.Nth(1)).ToHaveAccessibleNameAsync(
            new Regex(@"^Contacts per channel per day, last 14 days: 2 in total \(SMS 2, Chat 0, Voice 0\); busiest day .+ with 2\.$"));

        // Editing Ioana: less capacity, off call, a phone she takes calls on.
        var edit = board.GetByRole(AriaRole.Button, new() { Name = "Edit ioana", Exact = true });
        await edit.ClickAsync();
        await Assertions.Expect(board.Locator("#rf-id")).ToHaveValueAsync("ioana");
        await Assertions.Expect(board.Locator("#rf-name")).ToBeFocusedAsync();
        await Assertions.Expect(board.Locator("#rf-capacity")).ToHaveValueAsync("3");
        await Assertions.Expect(board.Locator("#rf-oncall")).ToBeCheckedAsync();
        await board.FillAsync("#rf-capacity", "1");
        await board.UncheckAsync("#rf-oncall");
        await board.FillAsync("#rf-phone", "+44 7700 900555");
        await board.CheckAsync("#rf-phone-calls");
        await AssertEveryFieldIsLabelledAsync(board);
        await board.ClickAsync("#roster-form button[type=submit]");
        await Assertions.Expect(board.Locator("#roster-form form")).ToHaveCountAsync(0);
        await Assertions.Expect(board.Locator("#roster-list tbody tr", new() { Has = edit }).Locator("td"))
            .ToHaveTextAsync(["ioana", "Ioana", "ro", "1", "no", "–", "no", "•••• 0555; takes calls on it", "Edit"]);
        await Assertions.Expect(edit).ToBeFocusedAsync(); // back where the supervisor started
        var ioana = await _app.Services.GetRequiredService<IRosterStore>().FindAsync("ioana");
        Assert.Equal((false, 1), (ioana!.OnCall, ioana.Capacity));
        Assert.Equal("Ioana", ioana.DisplayName);
        Assert.Equal(["ro"], ioana.Languages);
        Assert.Equal(("+447700900555", true), (ioana.Phone?.Reveal(), ioana.TakesCallsOnPhone));
        Assert.DoesNotContain("900555", await board.ContentAsync(), StringComparison.Ordinal);
    }

    /// <summary>Every visible form field has a label a screen reader announces.</summary>
    private static async Task AssertEveryFieldIsLabelledAsync(IPage page)
    {
        var unlabelled = await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('input, select, textarea')].filter(e => e.type !== 'hidden' && e.offsetParent !== null)" +
            ".filter(e => e.labels.length === 0 && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby')).map(e => e.id || e.name || e.outerHTML)");
        Assert.Empty(unlabelled);
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

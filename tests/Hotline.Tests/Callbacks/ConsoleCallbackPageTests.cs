using Hotline.Callbacks;
using Hotline.Functions.Dev.CallFlow;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Hotline.Tests.Callbacks;

/// <summary>
/// The console's callbacks in a real browser: asked for during an SMS conversation on the number the caller texts
/// from, then due, called (the code word appears only then), and its outcome recorded. The page never holds the
/// caller's number.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class ConsoleCallbackPageTests(Chromium chromium) : IAsyncLifetime
{
    private const string Caller = "+40722123987";
    private const string IoanaPhone = "+447700900201";
    private const string CodeWord = "lavender";

    private readonly InMemoryCallbackSecrets _secrets = new();
    private RunningApp _app = null!;
    private TwilioApiDouble _twilio = null!;
    private SimulatedTwilio _voice = null!;

    public async Task InitializeAsync()
    {
        _twilio = await TwilioApiDouble.StartAsync();
        var settings = _twilio.AppSettings();
        settings["AzureWebJobs.CallbackRelease.Disabled"] = "true"; // released by the test, to Ioana
        _app = await RunningApp.StartWithRosterAsync(
            [new Counsellor("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 3) { Phone = StaffPhoneNumber.Parse(IoanaPhone) }],
            settings, configure: b => b.Services.AddSingleton<ICallbackSecrets>(_secrets));
        _voice = new SimulatedTwilio(_app.Http, new SimulatedCallOptions
        {
            PublicBase = new Uri(RunningApp.PublicBaseUrl), AuthToken = RunningApp.TwilioAuthToken, AccountSid = TwilioApiDouble.AccountSid,
        });
        _twilio.Voice = _voice;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _twilio.DisposeAsync();
    }

    [Fact]
    public async Task A_counsellor_asks_for_a_callback_sees_it_due_with_its_window_end_calls_and_sees_the_code_word_only_then_and_records_the_outcome()
    {
        var (_, id) = await AcceptedConversations.OfSmsAsync(_app, Caller, "ioana");
        var page = await chromium.NewPageAsync();
        await page.GotoAsync(new Uri(_app.BaseAddress, "console#" + id).ToString());
        await page.FillAsync("#signin-user", "ioana");
        await page.SelectOptionAsync("#signin-role", "counsellor");
        await page.ClickAsync("#signin-submit");

        await page.ClickAsync("#callback-ask-panel summary");
        await page.CheckAsync("#callback-theirs");
        await page.FillAsync("#callback-when", "any time");
        await page.FillAsync("#callback-code", CodeWord);
        await page.ClickAsync("#callback-ask");
        await Assertions.Expect(page.Locator("#callback-status")).ToHaveTextAsync("waiting for a safe time");
        var requestId = Assert.Single(_secrets.Stored);
        Assert.Equal(new CallbackSecrets(Caller, CodeWord), await _secrets.ReadAsync(requestId));

        // The timer's part: released to Ioana. The console's poll shows it due, until when, without the code word.
        var store = _app.Services.GetRequiredService<ICallbackStore>();
        var request = (await store.FindAsync(requestId))!;
        Assert.True(await store.TryUpdateAsync(request with { Status = CallbackStatus.Released, ReleasedTo = "ioana", ReleasedAt = DateTimeOffset.UtcNow }));
        var due = page.Locator("#callbacks-due li.due-callback");
        await Assertions.Expect(due).ToContainTextAsync("Safe until");
        await Assertions.Expect(due).ToContainTextAsync("Call back in Romanian");
        await Assertions.Expect(due).ToContainTextAsync("Leave no message");
        Assert.DoesNotContain(CodeWord, await page.ContentAsync(), StringComparison.Ordinal);

        await page.ClickAsync("#call-" + requestId);
        await Assertions.Expect(page.Locator(".call-card .code-word")).ToHaveTextAsync(CodeWord);
        await Assertions.Expect(page.Locator(".call-card .cover-story")).ToHaveTextAsync(CallbackSettings.DefaultCoverStories[0]);
        await Assertions.Expect(page.Locator("#outcome-messageLeft-" + requestId)).ToHaveCountAsync(0); // no message may be left
        Assert.Equal(IoanaPhone, Assert.Single(_voice.Calls).To);
        Directory.CreateDirectory("/tmp/shots");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = "/tmp/shots/console-callback-call.png", FullPage = true });
        await Chromium.ScreenshotAsync(page, "console-callback-call");

        await page.ClickAsync("#outcome-noAnswer-" + requestId);
        await Assertions.Expect(page.Locator("#due-note")).ToContainTextAsync("Recorded: no answer");
        await Assertions.Expect(page.Locator(".call-card")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#callback-status")).ToHaveTextAsync("waiting for a safe time");
        Assert.Equal(CallbackOutcome.NoAnswer, Assert.Single((await store.FindAsync(requestId))!.Attempts).Outcome);
        var html = await page.ContentAsync();
        Assert.DoesNotContain(CodeWord, html, StringComparison.Ordinal);
        foreach (var form in StoredData.FormsOf(Caller, "0722123987"))
        {
            Assert.DoesNotContain(form, html, StringComparison.Ordinal);
        }
    }
}

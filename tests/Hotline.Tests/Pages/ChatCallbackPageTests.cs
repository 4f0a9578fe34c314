using Hotline.Callbacks;
using Hotline.Messaging;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Hotline.Tests.Pages;

/// <summary>The chat page's callback form in a real browser against the app on Azurite, out of hours, on a phone.</summary>
[Collection(SmsCollection.Name)]
public sealed class ChatCallbackPageTests(Chromium chromium) : IAsyncLifetime
{
    private const string ExitUrl = "https://weather.example.org/";
    private const string CodeWord = "лаванда";
    private RunningApp _app = null!;

    public async Task InitializeAsync() =>
        _app = await RunningApp.StartWithRosterAsync(
            [new Counsellor("oksana", "Oksana", ["uk"], OnCall: false, Capacity: 3)], // nobody on call
            new Dictionary<string, string?>
            {
                ["LocalFunctionsHost:Enabled"] = "false",
                ["Chat:PhoneRegion"] = "RO",
                ["Chat:QuickExitUrl"] = ExitUrl,
                ["Callbacks:TimeZone"] = "Europe/Bucharest",
            });

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private CallerTexts Texts => _app.Services.GetRequiredService<CallerTexts>();

    [Fact]
    public async Task Out_of_hours_she_asks_for_a_callback_from_the_offer_corrects_her_number_and_sees_a_discreet_confirmation_with_nothing_kept()
    {
        var page = await chromium.NewPageAsync(locale: "uk-UA", width: 360, height: 640);
        await page.GotoAsync(new Uri(_app.BaseAddress, "chat").ToString());
        var chatUrl = page.Url;
        await page.ClickAsync("#start");
        await page.FillAsync("#message", "Мені зараз небезпечно говорити");
        await page.ClickAsync("#send");

        // Nobody can answer: the offer comes with the out-of-hours answer, and opens the form at her number.
        var offer = page.Locator("#transcript li.offer button");
        await Assertions.Expect(offer).ToHaveTextAsync(Texts.Get("uk", CallerText.ChatCallbackAsk));
        await Assertions.Expect(page.Locator("#callback-open")).ToBeVisibleAsync(); // and the discreet way, at any time
        await offer.ClickAsync();
        await Assertions.Expect(page.Locator("#callback-number")).ToBeFocusedAsync();
        await Assertions.Expect(page.Locator("#composer")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#callback-when-hint")).ToHaveTextAsync(Texts.Get("uk", CallerText.ChatCallbackWhenHint));
        var unlabelled = await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('#callback input')].filter(e => e.labels.length === 0 && !e.getAttribute('aria-labelledby')).map(e => e.id)");
        Assert.Empty(unlabelled);

        // A number too short is refused in Ukrainian, and the field is marked.
        await page.Keyboard.TypeAsync("0722 12");
        await page.ClickAsync("#callback-evening");
        await Assertions.Expect(page.Locator("#callback-when")).ToHaveValueAsync("17-21");
        await page.CheckAsync("#callback-message-yes");
        await page.FillAsync("#callback-code", CodeWord);
        await page.ClickAsync("#callback-send");
        await Assertions.Expect(page.Locator("#callback-status")).ToHaveTextAsync(Texts.Get("uk", CallerText.ChatCallbackNumberCheck));
        await Assertions.Expect(page.Locator("#callback-number")).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.Locator("#callback-number")).ToBeFocusedAsync();

        await page.FillAsync("#callback-number", "0722 000 113");
        await Chromium.ScreenshotAsync(page, "chat-callback-form");
        await page.ClickAsync("#callback-send");

        // The confirmation says her times back; the form is gone and emptied, and the chat goes on.
        var store = _app.Services.GetRequiredService<ICallbackStore>();
        var request = await Eventually.ReturnsAsync(async () => (await store.ListOpenAsync()).SingleOrDefault(), "the callback request");
        var windows = _app.Services.GetRequiredService<CallbackIntake>().Describe(request.Windows, "uk");
        var confirmation = Texts.Get("uk", CallerText.ChatCallbackSent, new Dictionary<string, string> { ["Windows"] = windows });
        await Assertions.Expect(page.Locator("#transcript li.note").Last).ToHaveTextAsync(confirmation);
        Assert.Contains("17:00–21:00", confirmation, StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("#callback")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#message")).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(page, "chat-callback-confirmed");
        Assert.True(request.MayLeaveMessage);
        Assert.Equal(new CallbackSecrets("+40722000113", CodeWord), await _app.Services.GetRequiredService<ICallbackSecrets>().ReadAsync(request.Id));

        // Nothing of the number or code word is left: not in the fields, the page, its address or the browser's storage.
        foreach (var field in new[] { "#callback-number", "#callback-when", "#callback-code" })
        {
            Assert.Equal(string.Empty, await page.InputValueAsync(field));
        }

        var html = await page.ContentAsync();
        Assert.DoesNotContain("722", html, StringComparison.Ordinal);
        Assert.DoesNotContain(CodeWord, html, StringComparison.Ordinal);
        Assert.Equal(chatUrl, page.Url);
        Assert.True(await page.EvaluateAsync<bool>(
            "async () => localStorage.length === 0 && sessionStorage.length === 0 && document.cookie === '' && (await indexedDB.databases()).length === 0"));

        // Quick exit with the form half filled in empties the page at once.
        await page.ClickAsync("#callback-open");
        await page.FillAsync("#callback-number", "0722 000 114");
        await page.RouteAsync(ExitUrl, route => route.AbortAsync("aborted"));
        await page.Keyboard.PressAsync("Escape");
        await page.Keyboard.PressAsync("Escape");
        await Eventually.TrueAsync(async () => await page.EvaluateAsync<int>("document.body.childElementCount") == 0, "the page emptied");
    }
}

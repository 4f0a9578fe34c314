using System.Text;
using System.Text.RegularExpressions;
using Hotline.Conversations;
using Hotline.Messaging;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Hotline.Tests.Pages;

/// <summary>
/// The caller's chat page in a real browser against the app on Azurite: nothing a caller writes is lost, however long
/// it is and whether or not the app can be reached, and on a small phone Send stays on screen.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed partial class ChatPageTests(Chromium chromium) : IAsyncLifetime
{
    private RunningApp _app = null!;

    public async Task InitializeAsync() =>
        _app = await RunningApp.StartWithRosterAsync(
            [new Counsellor("lucia", "Lucía", ["es"], OnCall: true, Capacity: 3)],
            new Dictionary<string, string?> { ["LocalFunctionsHost:Enabled"] = "false" });

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private CallerTexts Texts => _app.Services.GetRequiredService<CallerTexts>();

    private string Url(string path) => new Uri(_app.BaseAddress, path).ToString();

    [Fact]
    public async Task A_pasted_message_over_the_limit_is_kept_whole_the_counter_says_how_it_goes_and_it_arrives_in_order_as_several_messages()
    {
        var text = LongSpanishMessage();
        Assert.InRange(text.Length, 6700, 6900);
        var page = await chromium.NewPageAsync(locale: "es-ES");
        await page.GotoAsync(Url("chat"));
        await page.ClickAsync("#start");
        await Assertions.Expect(page.Locator("#counter")).ToHaveTextAsync(Texts.Get("es", CallerText.ChatCharactersLeft).Replace("{Count}", "1000", StringComparison.Ordinal));

        await page.FillAsync("#message", text);
        Assert.Equal(text, await page.InputValueAsync("#message")); // nothing cut on the way in
        var parts = Texts.Get("es", CallerText.ChatSentInParts);
        await Assertions.Expect(page.Locator("#counter")).ToHaveTextAsync(new Regex("^" + Regex.Escape(parts).Replace(@"\{Parts}", @"\d+", StringComparison.Ordinal) + "$"));
        var announced = int.Parse(Number().Match(await page.Locator("#counter").TextContentAsync() ?? "").Value, System.Globalization.CultureInfo.InvariantCulture);
        await Chromium.ScreenshotAsync(page, "chat-long-message");

        await page.ClickAsync("#send");

        var store = _app.Services.GetRequiredService<IConversationStore>();
        var stored = await Eventually.ReturnsAsync(async () =>
        {
            var chat = (await store.ListOpenAsync()).SingleOrDefault(c => c.Channel == Channels.Chat);
            var messages = chat is null ? [] : await store.MessagesAsync(chat.Id);
            return messages.Count == announced ? messages : null;
        }, $"{announced} messages stored");
        Assert.All(stored, m => Assert.InRange(m.Text.Reveal().Length, 1, 1000));
        Assert.Equal(Words(text), Words(string.Join(' ', stored.Select(m => m.Text.Reveal()))));
        Assert.EndsWith("a mi familia.", stored[^1].Text.Reveal(), StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("#transcript li.in")).ToHaveCountAsync(announced);
        await Assertions.Expect(page.Locator("#transcript li.in").Last).ToContainTextAsync("a mi familia.");
        await Assertions.Expect(page.Locator("#message")).ToHaveValueAsync("");
        await Assertions.Expect(page.Locator("#counter")).ToHaveTextAsync(Texts.Get("es", CallerText.ChatCharactersLeft).Replace("{Count}", "1000", StringComparison.Ordinal));
    }

    [Fact]
    public async Task When_the_app_cannot_be_reached_messages_show_as_not_sent_yet_and_arrive_once_in_order_when_it_can()
    {
        var page = await chromium.NewPageAsync(locale: "es-ES");
        await page.GotoAsync(Url("chat"));

        // Starting, while the app cannot be reached, says so; it works once the app is back.
        await page.RouteAsync("**/api/chat/sessions", route => route.AbortAsync("connectionrefused"));
        await page.ClickAsync("#start");
        await Assertions.Expect(page.Locator("#start-status")).ToHaveTextAsync(Texts.Get("es", CallerText.ChatNoConnection));
        await page.UnrouteAsync("**/api/chat/sessions");
        await page.ClickAsync("#start");
        await Assertions.Expect(page.Locator("#message")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#start-status")).ToHaveTextAsync("");

        // The first message reaches the app but its answer is lost; after that nothing gets through.
        var answerLost = false;
        await page.RouteAsync("**/api/chat/messages**", async route =>
        {
            if (route.Request.Method == "POST" && !answerLost)
            {
                answerLost = true;
                await route.FetchAsync();
            }

            await route.AbortAsync("connectionrefused");
        });
        await page.FillAsync("#message", "Hola, ¿hay alguien ahí?");
        await page.ClickAsync("#send");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync(Texts.Get("es", CallerText.ChatNotSentYet));
        await page.FillAsync("#message", "Necesito ayuda, por favor");
        await page.ClickAsync("#send");
        var pending = page.Locator("#transcript li.in");
        await Assertions.Expect(pending).ToHaveCountAsync(2);
        await Assertions.Expect(pending.Nth(0)).ToContainTextAsync("Hola, ¿hay alguien ahí?");
        await Assertions.Expect(pending.Nth(1)).ToContainTextAsync("Necesito ayuda, por favor");
        await Assertions.Expect(page.Locator("#transcript li.in .state")).ToHaveTextAsync([Texts.Get("es", CallerText.ChatWaitingToSend), Texts.Get("es", CallerText.ChatWaitingToSend)]);
        await Chromium.ScreenshotAsync(page, "chat-not-sent");

        // The app is back: both arrive, once each (the first was stored already) and in order, without the caller
        // doing anything.
        await page.UnrouteAsync("**/api/chat/messages**");
        var store = _app.Services.GetRequiredService<IConversationStore>();
        await Eventually.TrueAsync(async () =>
        {
            var chat = (await store.ListOpenAsync()).SingleOrDefault(c => c.Channel == Channels.Chat);
            return chat is not null && (await store.MessagesAsync(chat.Id)).Count >= 2;
        }, "both messages stored");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("");
        await Assertions.Expect(page.Locator("#transcript li.in .state")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#transcript li.in")).ToHaveCountAsync(2);

        var chat = (await store.ListOpenAsync()).Single(c => c.Channel == Channels.Chat);
        Assert.Equal(["Hola, ¿hay alguien ahí?", "Necesito ayuda, por favor"], (await store.MessagesAsync(chat.Id)).Select(m => m.Text.Reveal()));
        for (var i = 0; i < 2; i++)
        {
            await page.WaitForResponseAsync(r => r.Request.Method == "GET" && r.Url.Contains("/api/chat/messages", StringComparison.Ordinal));
        }

        await Assertions.Expect(page.Locator("#transcript li.in")).ToHaveCountAsync(2); // two polls later, still once each
        Assert.Equal(2, (await store.MessagesAsync(chat.Id)).Count);
    }

    [Fact]
    public async Task On_a_360_by_640_phone_Send_stays_on_screen_while_a_long_multi_line_message_is_typed()
    {
        var page = await chromium.NewPageAsync(locale: "es-ES", width: 360, height: 640);
        await page.GotoAsync(Url("chat"));
        await page.ClickAsync("#start");
        for (var i = 1; i <= 4; i++)
        {
            await page.FillAsync("#message", $"Mensaje número {i}: trabajo en una granja y no me dejan salir.");
            await page.ClickAsync("#send");
            await Assertions.Expect(page.Locator("#transcript li.in")).ToHaveCountAsync(i);
        }

        await page.ClickAsync("#message");
        for (var line = 1; line <= 12; line++)
        {
            await page.Keyboard.TypeAsync($"Línea {line} de un mensaje largo");
            await page.Keyboard.PressAsync("Enter");
        }

        Assert.Contains("Línea 12", await page.InputValueAsync("#message"), StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Chromium.ScreenshotFolder, "chat-phone-typing.png") });
        var send = await page.Locator("#send").BoundingBoxAsync();
        Assert.NotNull(send);
        Assert.True(send.Y >= 0 && send.Y + send.Height <= 640 && send.X >= 0 && send.X + send.Width <= 360,
            $"Send is at x {send.X}..{send.X + send.Width}, y {send.Y}..{send.Y + send.Height}, outside the 360×640 screen");
        Assert.True(await page.EvaluateAsync<bool>(
            "() => { const r = document.getElementById('send').getBoundingClientRect(); const e = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2); return e && e.closest('#send') !== null; }"),
            "something covers Send");
    }

    private static string LongSpanishMessage()
    {
        const string Sentence = "Trabajo en una granja cerca de la frontera, el jefe guarda mi pasaporte y no me paga desde hace meses. ";
        var text = new StringBuilder();
        while (text.Length < 6640)
        {
            text.Append(Sentence);
            if (text.Length % 7 == 0)
            {
                text.Append('\n');
            }
        }

        return text.Append("No sé a quién más preguntar. Por favor, ayúdenme a volver a mi familia.").ToString();
    }

    private static string Words(string text) => Whitespace().Replace(text, " ").Trim();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Number();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}

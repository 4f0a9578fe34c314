using Hotline.Conversations;
using Hotline.Messaging;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Hotline.Tests.Pages;

/// <summary>The caller's chat page in a real browser when the app no longer takes its session.</summary>
[Collection(SmsCollection.Name)]
public sealed class ChatSessionEndPageTests(Chromium chromium) : IAsyncLifetime
{
    private RunningApp _app = null!;

    public async Task InitializeAsync() =>
        _app = await RunningApp.StartWithRosterAsync(
            [new Counsellor("lucia", "Lucía", ["es"], OnCall: true, Capacity: 3)],
            new Dictionary<string, string?> { ["LocalFunctionsHost:Enabled"] = "false" });

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_session_the_app_has_ended_ends_the_chat_on_the_page_instead_of_polling_on_unseen()
    {
        var texts = _app.Services.GetRequiredService<CallerTexts>();
        var page = await chromium.NewPageAsync(locale: "es-ES");
        string? token = null;
        page.Request += (_, request) => token ??= request.Headers.GetValueOrDefault("x-chat-session");
        await page.GotoAsync(new Uri(_app.BaseAddress, "chat").ToString());
        await page.ClickAsync("#start");
        await page.FillAsync("#message", "Hola, necesito ayuda");
        await page.ClickAsync("#send");
        var store = _app.Services.GetRequiredService<IConversationStore>();
        await Eventually.TrueAsync(async () => (await store.ListOpenAsync()).Any(c => c.Channel == Channels.Chat), "the conversation");
        Assert.NotNull(token);

        // The session ends elsewhere (its time is up, or the caller left from another tab): the app refuses it.
        using var other = new HttpClient { BaseAddress = _app.BaseAddress };
        other.DefaultRequestHeaders.Add("X-Chat-Session", token);
        (await other.PostAsync(new Uri("/api/chat/leave", UriKind.Relative), null)).EnsureSuccessStatusCode();

        await Assertions.Expect(page.Locator("#transcript li.note").Last).ToHaveTextAsync(texts.Get("es", CallerText.ChatEnded));
        await Assertions.Expect(page.Locator("#composer")).ToBeHiddenAsync();
    }
}

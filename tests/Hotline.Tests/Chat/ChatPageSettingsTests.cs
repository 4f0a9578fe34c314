using System.Net;
using Hotline.Functions.Configuration;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Chat;

/// <summary>The chat page's neutral title and icon, and its quick-exit address, come from settings.</summary>
public sealed class ChatPageSettingsTests
{
    [Fact]
    public async Task The_title_icon_and_quick_exit_address_are_the_configured_ones_and_encoded()
    {
        var icon = Path.Combine(Path.GetTempPath(), $"icon-{Guid.NewGuid():N}.svg");
        await File.WriteAllTextAsync(icon, "<svg xmlns=\"http://www.w3.org/2000/svg\"><circle r=\"4\"/></svg>");
        await using var app = await RunningApp.StartAsync(new Dictionary<string, string?>
        {
            ["Chat:PageTitle"] = "Weather & news",
            ["Chat:IconFile"] = icon,
            ["Chat:QuickExitUrl"] = "https://example.org/weather?city=a&b",
        });

        var html = await app.Http.GetStringAsync(new Uri("/chat", UriKind.Relative));
        var served = await app.Http.GetAsync(new Uri("/chat/icon", UriKind.Relative));

        Assert.Contains("<title>Weather &amp; news</title>", html, StringComparison.Ordinal);
        Assert.Contains("data-exit=\"https://example.org/weather?city=a&amp;b\"", html, StringComparison.Ordinal);
        Assert.Equal("image/svg+xml", served.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<circle", await served.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync(new Uri("/chat/..%2Fstaff%2Fstaff.js", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync(new Uri("/chat/staff.js", UriKind.Relative))).StatusCode);
    }

    [Theory]
    [InlineData("Chat:QuickExitUrl", "javascript:alert(1)", "Setting 'Chat__QuickExitUrl' is malformed")]
    [InlineData("Chat:IconFile", "/no/such/icon.png", "Setting 'Chat__IconFile' is malformed")]
    [InlineData("Chat:NewConversationsPerMinute", "0", "Setting 'Chat__NewConversationsPerMinute' is malformed")]
    [InlineData("Chat:SessionLifetime", "forever", "Setting 'Chat__SessionLifetime' is malformed")]
    public async Task A_bad_chat_setting_stops_startup_naming_it(string key, string value, string expected)
    {
        var e = await Assert.ThrowsAsync<StartupSettingException>(() => RunningApp.StartAsync(new Dictionary<string, string?> { [key] = value }));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }
}

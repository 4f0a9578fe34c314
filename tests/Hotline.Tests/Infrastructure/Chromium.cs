using Microsoft.Playwright;

namespace Hotline.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright. One browser for the collection; each test takes a fresh
/// context (its own cookies, storage and history), as a new visitor would have.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots of the pages are saved (under the test output).</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(ScreenshotFolder);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <param name="trustSelfSigned">Accept the self-signed certificates of loopback doubles (an identity provider).</param>
    public async Task<IPage> NewPageAsync(string locale = "en-GB", int width = 1280, int height = 860, bool trustSelfSigned = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            Locale = locale,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            IgnoreHTTPSErrors = trustSelfSigned,
        });
        return await context.NewPageAsync();
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>
/// End-to-end tests that share the product's queues (and so must not run at the same time), with a browser at hand.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SmsCollection : ICollectionFixture<Chromium>
{
    public const string Name = "SMS end to end";
}

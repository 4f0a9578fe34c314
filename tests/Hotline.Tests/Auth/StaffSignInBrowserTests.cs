using Hotline.Roster;
using Hotline.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Hotline.Tests.Auth;

/// <summary>
/// The staff pages signing in as they do in Azure: OpenID Connect authorization code with PKCE at the authority
/// (a loopback HTTPS double of Microsoft Entra ID), the code redeemed by the page, the token kept for the tab only, and
/// signing out ending the session at the authority too.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class StaffSignInBrowserTests(Chromium chromium) : IAsyncLifetime
{
    private OpenIdProviderDouble _provider = null!;
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _provider = await OpenIdProviderDouble.StartAsync();
        var settings = _provider.AppSettings(consoleClientId: "console-client-id");
        settings["LocalFunctionsHost:Enabled"] = "false";
        _app = await RunningApp.StartWithRosterAsync(
            [new Counsellor("oksana", "Oksana", ["uk"], OnCall: true, Capacity: 2)], settings, configure: _provider.TrustedBy);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _provider.DisposeAsync();
    }

    [Fact]
    public async Task A_counsellor_signs_in_at_the_authority_uses_the_console_and_signing_out_leaves_nothing_behind()
    {
        var page = await chromium.NewPageAsync(trustSelfSigned: true);
        await page.GotoAsync(new Uri(_app.BaseAddress, "console").ToString());
        await page.Locator("#signin-oidc").WaitForAsync();
        Assert.Equal(0, await page.Locator("#signin-user").CountAsync()); // no Development form once an authority is set

        await page.ClickAsync("#signin-oidc");

        await Assertions.Expect(page.Locator("#me")).ToHaveTextAsync("oksana");
        await Assertions.Expect(page.Locator("#my-languages")).ToContainTextAsync("Ukrainian");
        Assert.DoesNotContain("code=", page.Url, StringComparison.Ordinal); // the code is gone from the address bar
        // The token is kept for this tab only (the one-time verifier is gone): a reload stays signed in, without the authority.
        Assert.Equal(["hotline-staff-session"], await page.EvaluateAsync<string[]>("() => Object.keys(sessionStorage)"));
        Assert.True(await page.EvaluateAsync<bool>("() => localStorage.length === 0 && document.cookie === ''"));
        var authority = new Uri(_provider.Authority).GetLeftPart(UriPartial.Authority);
        var toAuthority = 0;
        page.Request += (_, request) => toAuthority += request.Url.StartsWith(authority, StringComparison.Ordinal) ? 1 : 0;
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#me")).ToHaveTextAsync("oksana");
        Assert.Equal(0, toAuthority);

        // The page goes to the authority's end-session endpoint, which sends the browser back to a fresh console.
        var backFromLogout = page.WaitForResponseAsync(r => r.Url.Contains("/logout", StringComparison.Ordinal));
        await page.ClickAsync("#sign-out");
        await backFromLogout;
        await page.Locator("#signin-oidc").WaitForAsync();
        Assert.Equal(1, _provider.Logouts);
        Assert.Equal(0, await page.Locator("#me:has-text('oksana')").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => sessionStorage.length === 0 && localStorage.length === 0"));
        Assert.Empty(await page.Context.CookiesAsync(new[] { _app.BaseAddress.ToString() }));
    }

    [Fact]
    public async Task A_sign_in_answer_that_does_not_match_the_page_is_refused()
    {
        var page = await chromium.NewPageAsync(trustSelfSigned: true);
        await page.GotoAsync(new Uri(_app.BaseAddress, "console?code=stolen&state=guessed").ToString());

        await Assertions.Expect(page.Locator(".signin [role=alert]")).ToContainTextAsync("does not match");
        Assert.Equal(0, await page.Locator("#me:not(:empty)").CountAsync());
    }
}

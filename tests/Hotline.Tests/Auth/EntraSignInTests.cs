using System.Net;
using System.Net.Http.Headers;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Auth;

/// <summary>
/// Sign-in as in Azure: bearer tokens from an OpenID Connect authority (Microsoft Entra ID), checked against the keys
/// its metadata publishes, for the configured audience, with roles from the token's <c>roles</c> claim.
/// </summary>
public sealed class EntraSignInTests : IAsyncLifetime
{
    private const string Audience = "api://hotline-test";
    private OpenIdProviderDouble _provider = null!;
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _provider = await OpenIdProviderDouble.StartAsync();
        _provider.Audience = Audience;
        _app = await RunningApp.StartAsync(_provider.AppSettings(), configure: _provider.TrustedBy);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _provider.DisposeAsync();
    }

    [Fact]
    public async Task A_token_from_the_authority_signs_a_supervisor_in_with_the_role_in_the_token()
    {
        Assert.Equal(HttpStatusCode.OK, await GetRosterAsync(_provider.Token("sam@ngo.example", ["supervisor"], Audience)));
        Assert.True(_provider.MetadataRequests >= 1); // the keys came from the authority's metadata

        Assert.Equal(HttpStatusCode.Forbidden, await GetRosterAsync(_provider.Token("ana@ngo.example", ["counsellor"], Audience)));
    }

    [Fact]
    public async Task Tokens_for_another_audience_signed_by_an_unknown_key_or_expired_are_refused()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await GetRosterAsync(_provider.Token("sam", ["supervisor"], "api://another-app")));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetRosterAsync(_provider.Token("sam", ["supervisor"], Audience, signedByUnknownKey: true)));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetRosterAsync(_provider.Token("sam", ["supervisor"], Audience, lifetime: TimeSpan.FromHours(-1))));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetRosterAsync(token: null));
    }

    [Fact]
    public async Task With_an_authority_configured_the_development_sign_in_is_not_there()
    {
        var response = await _app.Http.PostAsync(new Uri("/api/dev/token", UriKind.Relative),
            new StringContent("""{"user":"sam","roles":["supervisor"]}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<HttpStatusCode> GetRosterAsync(string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/roster");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return (await _app.Http.SendAsync(request)).StatusCode;
    }
}

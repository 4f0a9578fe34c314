using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Hotline.Tests.Infrastructure;

/// <summary>Signs staff in through the app's own Development token endpoint, as the console does locally.</summary>
public static class StaffTokens
{
    public static async Task<HttpClient> ClientForAsync(RunningApp app, string user, params string[] roles)
    {
        var response = await app.Http.PostAsJsonAsync(new Uri("/api/dev/token", UriKind.Relative), new { user, roles });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<TokenAnswer>())!.Token;
        var client = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private sealed record TokenAnswer(string Token);
}

namespace Hotline.Tests.Infrastructure;

/// <summary>
/// Counsellors whose console is open, as far as the app can tell: signed in and polling their conversations, which is
/// what makes them present. Offers go only to counsellors who are on call and present.
/// </summary>
public static class OpenConsoles
{
    /// <summary>One poll of each counsellor's console (presence lasts <c>Routing__PresenceWindow</c> after it).</summary>
    public static async Task PollAsync(RunningApp app, params string[] counsellors)
    {
        foreach (var counsellor in counsellors)
        {
            using var console = await StaffTokens.ClientForAsync(app, counsellor, "counsellor");
            (await console.GetAsync(new Uri("/api/conversations", UriKind.Relative))).EnsureSuccessStatusCode();
        }
    }
}

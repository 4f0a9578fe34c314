using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Conversations;

namespace Hotline.Tests.Infrastructure;

/// <summary>The common opening of many tests: a caller texts, and the counsellor accepts the offer.</summary>
public static class AcceptedConversations
{
    /// <summary>Returns the counsellor's API client (signed in) and the conversation's id.</summary>
    public static async Task<(HttpClient Counsellor, string Id)> OfSmsAsync(
        RunningApp app, string caller, string counsellor = "ioana", string text = "Bună ziua, am nevoie de ajutor")
    {
        await new TwilioWebhookClient(app).SendSmsAsync(caller, text);
        var store = app.Services.GetRequiredService<IConversationStore>();
        var offered = await Eventually.ReturnsAsync(async () =>
            (await store.ListOpenAsync(counsellor)).FirstOrDefault(c => c.Status == ConversationStatus.Offered), "the offer");
        var client = await StaffTokens.ClientForAsync(app, counsellor, "counsellor");
        (await client.PostAsync(new Uri($"/api/conversations/{offered.Id}/accept", UriKind.Relative), null)).EnsureSuccessStatusCode();
        return (client, offered.Id);
    }

    /// <summary>The delivery status of the conversation's latest reply, as the counsellor's console sees it.</summary>
    public static async Task<string?> LastReplyStatusAsync(HttpClient client, string id)
    {
        var detail = await client.GetFromJsonAsync<JsonElement>(new Uri($"/api/conversations/{id}", UriKind.Relative));
        return detail.GetProperty("messages").EnumerateArray().LastOrDefault(m => m.GetProperty("direction").GetString() == "out")
            .GetProperty("deliveryStatus").GetString();
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Conversations;
using Hotline.Functions.Configuration;
using Hotline.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Hotline.Tests.Privacy;

/// <summary>
/// The <c>PurgeReplyAddresses</c> timer, invoked as the Functions host invokes it,
/// deletes a closed conversation's encrypted reply address once <c>Privacy__ReplyAddressGrace</c> has passed since
/// it closed, and not a moment before; the conversation and its messages stay.
/// </summary>
public sealed class ReplyAddressPurgeTests : IAsyncLifetime
{
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(30);
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    private RunningApp _app = null!;

    public async Task InitializeAsync() =>
        _app = await RunningApp.StartAsync(
            new Dictionary<string, string?> { ["Privacy:ReplyAddressGrace"] = "00:30:00" },
            b => b.Services.AddSingleton<TimeProvider>(_clock));

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task The_timer_deletes_the_reply_address_the_configured_grace_after_the_close_and_keeps_the_messages()
    {
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        var first = await IncomingConversationAsync("+40722000301", "Bună ziua, am nevoie de ajutor");
        var second = await IncomingConversationAsync("+40722000302", "Vă rog, sunați-mă");
        var firstMessages = await MessageTextsAsync(first);
        var secondMessages = await MessageTextsAsync(second);

        // The first closes now, the second ten minutes later.
        (await sam.PostAsync(Api($"conversations/{first}/close"), null)).EnsureSuccessStatusCode();
        _clock.Advance(TimeSpan.FromMinutes(10));
        (await sam.PostAsync(Api($"conversations/{second}/close"), null)).EnsureSuccessStatusCode();
        var firstClosedAt = (await Store.FindAsync(first))!.ClosedAt!.Value;
        Assert.Equal(ConversationStatus.Closed, (await Store.FindAsync(second))!.Status);

        // A second before the first's grace is over: the timer runs and both addresses are still there.
        _clock.SetUtcNow(firstClosedAt + Grace - TimeSpan.FromSeconds(1));
        await RunPurgeAsync();
        Assert.NotNull((await Store.FindAsync(first))!.ProtectedReplyAddress);
        Assert.NotNull((await Store.FindAsync(second))!.ProtectedReplyAddress);

        // The grace is over for the first only (30 minutes, not the default 24 hours): its address goes, the other stays.
        _clock.SetUtcNow(firstClosedAt + Grace);
        await RunPurgeAsync();
        var purged = (await Store.FindAsync(first))!;
        Assert.Null(purged.ProtectedReplyAddress);
        Assert.Equal(ConversationStatus.Closed, purged.Status);
        Assert.Equal(firstMessages, await MessageTextsAsync(first));
        Assert.NotNull((await Store.FindAsync(second))!.ProtectedReplyAddress);

        // Ten minutes on, the second's grace is over too; a purged conversation is not touched again.
        _clock.Advance(TimeSpan.FromMinutes(10));
        await RunPurgeAsync();
        Assert.Null((await Store.FindAsync(second))!.ProtectedReplyAddress);
        Assert.Equal(secondMessages, await MessageTextsAsync(second));
        Assert.Equal(firstMessages, await MessageTextsAsync(first));
        Assert.Empty(await Store.DueForReplyAddressPurgeAsync(_clock.GetUtcNow().AddDays(2)));

        // The supervisor still reads the closed conversation's messages.
        var detail = await sam.GetFromJsonAsync<JsonElement>(Api($"conversations/{first}"));
        Assert.Equal(firstMessages, detail.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()!));
    }

    [Theory]
    [InlineData("30 minutes")]
    [InlineData("00:00:00")]
    [InlineData("-00:30:00")]
    public async Task A_grace_that_is_not_a_positive_duration_stops_startup_naming_the_setting(string value)
    {
        var e = await Assert.ThrowsAsync<StartupSettingException>(() => RunningApp.StartAsync(
            new Dictionary<string, string?> { ["Privacy:ReplyAddressGrace"] = value }, needsStorage: false));
        Assert.StartsWith("Setting 'Privacy__ReplyAddressGrace' is malformed", e.Message, StringComparison.Ordinal);
    }

    private IConversationStore Store => _app.Services.GetRequiredService<IConversationStore>();

    private async Task<string> IncomingConversationAsync(string caller, string text)
    {
        var known = (await Store.ListOpenAsync()).Select(c => c.Id).ToHashSet();
        (await new TwilioWebhookClient(_app).SendSmsAsync(caller, text)).EnsureSuccessStatusCode();
        var conversation = await Eventually.ReturnsAsync(async () =>
            (await Store.ListOpenAsync()).FirstOrDefault(c => !known.Contains(c.Id)), "the conversation");
        Assert.NotNull(conversation.ProtectedReplyAddress);
        Assert.Equal([text], await MessageTextsAsync(conversation.Id));
        return conversation.Id;
    }

    private async Task<List<string>> MessageTextsAsync(string conversationId) =>
        (await Store.MessagesAsync(conversationId)).Select(m => m.Text.Reveal()).ToList();

    // The timer run now, as the Functions host would run it on its schedule.
    private async Task RunPurgeAsync()
    {
        await _app.Host.RunTimerAsync("PurgeReplyAddresses");
    }

    private static Uri Api(string path) => new("/api/" + path, UriKind.Relative);
}

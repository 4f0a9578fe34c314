using Hotline.Conversations;
using Hotline.Functions.Dev.CallFlow;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Hotline.Tests.Voice;

/// <summary>
/// A caller nobody could answer leaves a voicemail; the counsellor it is offered to sees the call in the console,
/// plays the voicemail through the app (never from a Twilio address) and marks it handled, which deletes it at Twilio.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class VoicemailConsoleTests(Chromium chromium) : IAsyncLifetime
{
    private RunningApp _app = null!;
    private TwilioApiDouble _twilio = null!;

    public async Task InitializeAsync()
    {
        _twilio = await TwilioApiDouble.StartAsync();
        var settings = _twilio.AppSettings();
        settings["Sms:Numbers"] = "+40312345678=ro";
        // Ioana has no phone: the call finds nobody to ring, and the voicemail is offered to her console.
        _app = await RunningApp.StartWithRosterAsync([new Counsellor("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 2)], settings);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _twilio.DisposeAsync();
    }

    [Fact]
    public async Task The_counsellor_plays_the_voicemail_through_the_app_and_marking_it_handled_deletes_it_at_Twilio()
    {
        var call = await SimulatedCall.StartAsync(_app.Http, new SimulatedCallOptions
        {
            PublicBase = new Uri(RunningApp.PublicBaseUrl), AuthToken = RunningApp.TwilioAuthToken, From = "+40721234567", To = "+40312345678",
        });
        await call.StayQuietAsync(); // the safety line; nobody can be rung, so straight to the offer
        await call.PressAsync("1");
        await call.RecordAsync(20);
        var store = _app.Services.GetRequiredService<IConversationStore>();
        var conversation = await Eventually.ReturnsAsync(async () =>
            (await store.ListOpenAsync("ioana")).FirstOrDefault(c => c.CurrentCall?.RecordingSid is not null), "the voicemail offered to Ioana");
        var recordingSid = conversation.CurrentCall!.RecordingSid!;
        _twilio.Recordings[recordingSid] = await File.ReadAllBytesAsync(
            Path.Combine(AppContext.BaseDirectory, "Voice", "Recordings", "sq", "Goodbye.mp3"));

        var console = await chromium.NewPageAsync();
        var audioRequests = new List<string>();
        var refused = new List<string>();
        console.Console += (_, message) => { if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal)) refused.Add(message.Text); };
        console.Request += (_, request) => { if (request.ResourceType is "media" or "fetch") audioRequests.Add(request.Url); };
        await console.GotoAsync(new Uri(_app.BaseAddress, "console").ToString());
        await console.FillAsync("#signin-user", "ioana");
        await console.SelectOptionAsync("#signin-role", "counsellor");
        await console.ClickAsync("#signin-submit");
        await console.ClickAsync($"#conversations button[data-id='{conversation.Id}']");
        await console.ClickAsync("#accept");

        await Assertions.Expect(console.Locator("#calls")).ToContainTextAsync("left a voicemail");
        await console.ClickAsync("#calls button.primary");
        var player = console.Locator("#calls audio");
        await Assertions.Expect(player).ToHaveCountAsync(1);
        Assert.StartsWith("blob:", await player.GetAttributeAsync("src"), StringComparison.Ordinal);
        // The audio really loads (the page's policy lets it play from memory, and only from there).
        await Eventually.TrueAsync(async () => await player.EvaluateAsync<int>("a => a.readyState") >= 1, "the voicemail loaded in the player");
        Assert.Empty(refused);
        Assert.DoesNotContain(audioRequests, url => !url.StartsWith(_app.BaseAddress.ToString(), StringComparison.Ordinal) && !url.StartsWith("blob:", StringComparison.Ordinal));
        await Chromium.ScreenshotAsync(console, "console-voicemail");

        console.Dialog += (_, dialog) => _ = dialog.AcceptAsync();
        await console.ClickAsync("#voicemails-handled");

        await Assertions.Expect(console.Locator("#calls")).ToContainTextAsync("voicemail handled and deleted");
        Assert.DoesNotContain("null", await console.Locator("#calls").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains(recordingSid, _twilio.RecordingDeletions);
        Assert.Empty(_twilio.Recordings);
    }
}

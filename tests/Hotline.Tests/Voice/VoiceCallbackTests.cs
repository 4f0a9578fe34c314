using System.Net.Http.Json;
using Hotline.Callbacks;
using Hotline.Calls;
using Hotline.Conversations;
using Hotline.Functions.Dev.CallFlow;
using Hotline.Functions.Voice;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Voice;

/// <summary>
/// A callback asked for on the keypad when nobody answers, end to end: a simulated Twilio drives the app's voice
/// webhooks, signed as Twilio signs them, every TwiML answer checked against what Twilio documents. Nobody here takes
/// calls on a phone, so a call goes from the safety line straight to the offer (1 voicemail, 2 callback).
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class VoiceCallbackTests : IAsyncLifetime
{
    private const string Caller = "+40721234567";
    private const string RomanianLine = "+40312345678";
    private const string Zone = "Europe/Bucharest";

    // Twilio's own stand-in for a withheld number, and what some carriers send instead.
    private const string Withheld = "+266696687";

    private static readonly Counsellor[] Roster =
    [
        new("ana", "Ana", ["ro"], OnCall: true, Capacity: 2), // a console, no phone: never rung
    ];

    private RunningApp _app = null!;
    private TwilioApiDouble _twilio = null!;
    private SimulatedTwilio _voice = null!;

    public async Task InitializeAsync()
    {
        _twilio = await TwilioApiDouble.StartAsync();
        var settings = _twilio.AppSettings();
        settings["Sms:Numbers"] = RomanianLine + "=ro";
        settings["Callbacks:TimeZone"] = Zone;
        // The request must stay as made: no release to a counsellor while the test looks at it.
        settings["AzureWebJobs.CallbackRelease.Disabled"] = "true";
        _app = await RunningApp.StartWithRosterAsync(Roster, settings);
        _voice = new SimulatedTwilio(_app.Http, new SimulatedCallOptions
        {
            PublicBase = new Uri(RunningApp.PublicBaseUrl),
            AuthToken = RunningApp.TwilioAuthToken,
            AccountSid = TwilioApiDouble.AccountSid,
            From = Caller,
            To = RomanianLine,
        });
        _twilio.Voice = _voice;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _twilio.DisposeAsync();
    }

    private VoiceCatalogue Catalogue => _app.Services.GetRequiredService<VoiceCatalogue>();

    private IConversationStore Conversations => _app.Services.GetRequiredService<IConversationStore>();

    private ICallbackStore Requests => _app.Services.GetRequiredService<ICallbackStore>();

    private ICallbackSecrets Secrets => _app.Services.GetRequiredService<ICallbackSecrets>();

    private string Said(VoicePrompt prompt) => Catalogue.Text(prompt, "ro", null);

    private static void AssertHeard(SimulatedCall call, string text) =>
        Assert.True(call.CallerHeard.Any(line => line.Contains(text, StringComparison.Ordinal)),
            $"Expected to hear \"{text}\"; heard:\n{string.Join("\n", call.CallerHeard)}");

    /// <summary>A call to the Romanian line that nobody can answer: the caller is at the offer.</summary>
    private async Task<SimulatedCall> AtTheOfferAsync(string from = Caller)
    {
        var call = await _voice.StartCallAsync(from, RomanianLine);
        await call.StayQuietAsync(); // the safety line: nobody to ring, so out of the queue at once
        AssertHeard(call, Said(VoicePrompt.NobodyAnswered));
        Assert.Equal(CallState.WaitingForKeys, call.State);
        return call;
    }

    private async Task<Conversation> ConversationOfAsync(string from = Caller) =>
        await Eventually.ReturnsAsync(async () =>
            await Conversations.FindCallerAsync(await _app.Services.GetRequiredService<CallerPseudonymizer>().PseudonymOfAsync(from)) is { } caller
            && (caller.OpenConversationId ?? caller.LastConversationId) is { } id
                ? await Conversations.FindAsync(id)
                : null, "the caller's conversation");

    [Fact]
    public async Task Pressing_2_then_evenings_then_no_message_makes_one_waiting_request_on_the_callers_own_number_in_her_language_and_zone()
    {
        var call = await AtTheOfferAsync();

        await call.PressAsync(VoiceCatalogue.CallbackKey);

        // The safe times, each in Romanian by the Romanian voice.
        var voice = Catalogue.VoiceOf("ro")!;
        foreach (var (_, prompt) in VoiceCatalogue.CallbackTimes)
        {
            AssertHeard(call, $"say[{voice.Locale}/{voice.Name}]: {Said(prompt)}");
        }

        Assert.Contains("seara", Said(VoicePrompt.CallbackEvenings), StringComparison.Ordinal); // Romanian, not the English fallback
        await call.PressAsync("3");
        AssertHeard(call, Said(VoicePrompt.CallbackMessage));

        var made = (await ConversationOfAsync()).CallbackRequestId;
        Assert.NotNull(made);

        // Twilio posts the key again (a retry): the same request, not a second one replacing it.
        var timeStep = _voice.Requests.Last(r => r.Path.EndsWith("/callback-time", StringComparison.Ordinal));
        Assert.Equal("3", timeStep["Digits"]);
        var retried = await new TwilioWebhookClient(_app, path: timeStep.Url.PathAndQuery)
            .PostAsync(timeStep.Parameters.ToDictionary(p => p.Key, p => p.Value));
        retried.EnsureSuccessStatusCode();
        TwimlChecker.Ensure(await retried.Content.ReadAsStringAsync());

        await call.PressAsync("2");
        AssertHeard(call, Said(VoicePrompt.CallbackConfirmed));
        Assert.Equal(CallState.Ended, call.State);

        var conversation = await Eventually.ReturnsAsync(async () =>
            await ConversationOfAsync() is { Status: ConversationStatus.Offered } c ? c : null, "the conversation routed to a counsellor's console");
        Assert.Equal(made, conversation.CallbackRequestId);
        Assert.NotNull(conversation.CallbackRequestedAt);
        Assert.Equal(CallOutcome.CallbackRequested, conversation.CurrentCall!.Outcome);

        var request = Assert.Single(await Requests.ListOpenAsync());
        Assert.Equal(made, request.Id);
        Assert.Equal((CallbackStatus.Waiting, "voice", "ro", Zone, false), (request.Status, request.Channel, request.Language, request.TimeZone, request.MayLeaveMessage));
        Assert.Equal(conversation.Id, request.ConversationId);
        Assert.Equal(new CallbackSecrets(Caller, null), await Secrets.ReadAsync(request.Id));

        // Evenings (17:00–21:00) on her clock, every day until the request expires: one already begun starts when
        // made, and the last may be cut short by the expiry.
        var zone = TimeZoneInfo.FindSystemTimeZoneById(Zone);
        Assert.True(request.Windows.Count >= 6, $"{request.Windows.Count} windows");
        for (var i = 0; i < request.Windows.Count; i++)
        {
            var (start, end) = (TimeZoneInfo.ConvertTime(request.Windows[i].Start, zone), TimeZoneInfo.ConvertTime(request.Windows[i].End, zone));
            var (first, last) = (i == 0, i == request.Windows.Count - 1);
            Assert.True(start.TimeOfDay == TimeSpan.FromHours(17) || (first && start <= request.RequestedAt), $"window {i}: {start:O} – {end:O}");
            Assert.True(end.TimeOfDay == TimeSpan.FromHours(21) || (last && end <= request.ExpiresAt && end > request.ExpiresAt.AddMinutes(-1)),
                $"window {i}: {start:O} – {end:O}");
            Assert.Equal(start.Date, end.Date);
            Assert.True(start.TimeOfDay >= TimeSpan.FromHours(17) && end.TimeOfDay <= TimeSpan.FromHours(21), $"window {i}: {start:O} – {end:O}");
        }

        // The board counts the call among those left to follow up (voicemails and callback requests).
        var supervisor = await StaffTokens.ClientForAsync(_app, "ana", "supervisor");
        await Eventually.TrueAsync(async () =>
        {
            var board = await supervisor.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/board");
            var romanian = board.GetProperty("calls").EnumerateArray().Single(c => c.GetProperty("language").GetString() == "ro");
            return romanian.GetProperty("followUps").GetInt32() == 1;
        }, "the board counting the callback request");
    }

    [Fact]
    public async Task A_withheld_or_unusable_number_gets_no_request_and_is_offered_the_voicemail_instead()
    {
        foreach (var from in new[] { Withheld, "anonymous" })
        {
            var call = await AtTheOfferAsync(from);
            await call.PressAsync(VoiceCatalogue.CallbackKey);

            AssertHeard(call, Said(VoicePrompt.CallbackNoNumber));
            Assert.DoesNotContain(call.CallerHeard, l => l.Contains(Said(VoicePrompt.CallbackMornings), StringComparison.Ordinal));
            await call.PressAsync(VoiceCatalogue.LeaveMessageKey);
            AssertHeard(call, Said(VoicePrompt.VoicemailInstructions));
            Assert.Equal(CallState.Recording, call.State);
            await call.HangUpAsync();

            Assert.Null((await ConversationOfAsync(from)).CallbackRequestId);
        }

        Assert.Empty(await Requests.ListOpenAsync());
    }

    [Fact]
    public async Task Pressing_nothing_at_the_safe_times_asks_once_more_then_says_no_callback_was_arranged_and_makes_none()
    {
        var call = await AtTheOfferAsync();
        await call.PressAsync(VoiceCatalogue.CallbackKey);

        await call.StayQuietAsync();
        Assert.Equal(2, call.CallerHeard.Count(l => l.Contains(Said(VoicePrompt.CallbackEvenings), StringComparison.Ordinal)));
        await call.StayQuietAsync();

        AssertHeard(call, Said(VoicePrompt.CallbackNotArranged));
        AssertHeard(call, Said(VoicePrompt.Goodbye));
        Assert.Equal(CallState.Ended, call.State);
        var conversation = await Eventually.ReturnsAsync(async () =>
            await ConversationOfAsync() is { CurrentCall.Phase: CallPhase.Ended } c ? c : null, "the call recorded as over");
        Assert.Null(conversation.CallbackRequestId);
        Assert.NotEqual(CallOutcome.CallbackRequested, conversation.CurrentCall!.Outcome);
        Assert.Empty(await Requests.ListOpenAsync());
    }

    [Fact]
    public async Task The_callers_number_is_kept_only_among_the_requests_secrets_never_in_tables_queues_logs_or_addresses()
    {
        var call = await AtTheOfferAsync();
        await call.PressAsync(VoiceCatalogue.CallbackKey);
        await call.PressAsync("1");
        await call.PressAsync(VoiceCatalogue.MayLeaveMessageKey);
        AssertHeard(call, Said(VoicePrompt.CallbackConfirmed));

        var request = await Eventually.ReturnsAsync(async () =>
            (await Requests.ListOpenAsync()).SingleOrDefault() is { MayLeaveMessage: true } r ? r : null, "the request, a message allowed");
        Assert.Equal(Caller, (await Secrets.ReadAsync(request.Id))!.PhoneNumber);
        await Eventually.TrueAsync(async () => await ConversationOfAsync() is { Status: ConversationStatus.Offered }, "the conversation routed");

        var stored = await StoredData.EverythingAsync(_app);
        var logs = _app.Logs.AllText + "\n" + _app.HostLogs.AllText;
        // The addresses Twilio was given (and logs): the state between steps is the call and the conversation, never the number.
        var addresses = string.Join("\n", _voice.Requests.Select(r => r.Url.AbsoluteUri));
        foreach (var form in StoredData.FormsOf(Caller, "0" + Caller[3..]))
        {
            Assert.DoesNotContain(form, stored, StringComparison.Ordinal);
            Assert.DoesNotContain(form, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(form, addresses, StringComparison.Ordinal);
            Assert.DoesNotContain(Uri.EscapeDataString(form), addresses, StringComparison.Ordinal);
        }
    }
}

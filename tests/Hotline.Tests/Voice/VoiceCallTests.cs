using System.Net;
using System.Net.Http.Json;
using Hotline.Calls;
using Hotline.Conversations;
using Hotline.Escalations;
using Hotline.Functions.Dev.CallFlow;
using Hotline.Functions.Voice;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Voice;

/// <summary>
/// The voice line end to end: a simulated Twilio drives the app's voice webhooks in Twilio's order, signed as Twilio
/// signs them, and every TwiML answer is checked against what Twilio documents. What the caller and each counsellor
/// hear is read as text. One collection with the SMS tests: voicemails and callbacks go through the shared routing queue.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class VoiceCallTests : IAsyncLifetime
{
    private const string Caller = "+40721234567";
    private const string RomanianLine = "+40312345678";
    private const string GeneralLine = TwilioWebhookClient.GeneralNumber;
    private const string IoanaPhone = "+447700900201";
    private const string MariaPhone = "+447700900202";
    private const string SamPhone = "+447700900209";

    private static readonly Counsellor[] Roster =
    [
        new("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 2) { Phone = StaffPhoneNumber.Parse(IoanaPhone), TakesCallsOnPhone = true },
        new("maria", "Maria", ["ro"], OnCall: true, Capacity: 2) { Phone = StaffPhoneNumber.Parse(MariaPhone), TakesCallsOnPhone = true },
        new("sam", "Sam", ["en"], OnCall: true, Capacity: 2) { Phone = StaffPhoneNumber.Parse(SamPhone), TakesCallsOnPhone = true, SupervisorOnDuty = true },
        new("oksana", "Oksana", ["uk"], OnCall: true, Capacity: 2), // no phone: never rung
    ];

    private RunningApp _app = null!;
    private TwilioApiDouble _twilio = null!;
    private SimulatedTwilio _voice = null!;

    public async Task InitializeAsync()
    {
        _twilio = await TwilioApiDouble.StartAsync();
        var settings = _twilio.AppSettings();
        settings["Sms:Numbers"] = RomanianLine + "=ro";
        _app = await RunningApp.StartWithRosterAsync(Roster, settings);
        // Twilio's part: the calls coming in, the calls the app places to counsellors' phones, the queues, one clock.
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

    private IConversationStore Store => _app.Services.GetRequiredService<IConversationStore>();

    private Task<SimulatedCall> CallAsync(string to = RomanianLine, string from = Caller) => _voice.StartCallAsync(from, to);

    private OutboundCall Phone(string number) => _voice.CallsTo(number).Last();

    private bool StoppedByTheApp(OutboundCall phone) =>
        _voice.ApiRequests.Any(r => r.Path.EndsWith("/Calls/" + phone.CallSid + ".json", StringComparison.Ordinal) && r["Status"] == "canceled");

    private string Said(VoicePrompt prompt, string language) => Catalogue.Text(prompt, language, null);

    /// <summary>The caller waits a round of ringing (the default ring time, 20 s, and the last waiting message) and nobody picks up.</summary>
    private static Task NobodyAnswersARoundAsync(SimulatedCall call) => call.WaitAsync(TimeSpan.FromSeconds(20 + CallAnswers.MaxWaitPauseSeconds + 1));

    private static void AssertHeard(IReadOnlyList<string> heard, string text) =>
        Assert.True(heard.Any(line => line.Contains(text, StringComparison.Ordinal)), $"Expected to hear \"{text}\"; heard:\n{string.Join("\n", heard)}");

    private async Task<Conversation> VoiceConversationAsync() =>
        await Eventually.ReturnsAsync(async () =>
            (await Store.FindCallerAsync(await _app.Services.GetRequiredService<CallerPseudonymizer>().PseudonymOfAsync(Caller))) is { } caller
            && (caller.OpenConversationId ?? caller.LastConversationId) is { } id
                ? await Store.FindAsync(id)
                : null, "the caller's conversation");

    [Fact]
    public async Task A_call_to_the_Romanian_line_hears_the_safety_line_then_the_waiting_message_while_both_Romanian_speakers_ring_and_the_first_to_press_1_talks_with_the_caller()
    {
        var call = await CallAsync();
        AssertHeard(call.CallerHeard, Said(VoicePrompt.Safety, "ro"));
        Assert.Equal(CallState.WaitingForKeys, call.State);

        await call.StayQuietAsync();

        Assert.Equal(CallState.Queued, call.State);
        Assert.Equal([IoanaPhone, MariaPhone], _voice.Calls.Select(p => p.To).Order());
        // The counsellors' phones show the hotline's number, never the caller's.
        Assert.All(_voice.Calls, phone => Assert.Equal(RomanianLine, phone.From));
        // The caller hears the waiting message in their language while the phones ring, again and again.
        await call.WaitAsync(TimeSpan.FromSeconds(12));
        Assert.True(call.CallerHeard.Count(l => l.Contains(Said(VoicePrompt.Waiting, "ro"), StringComparison.Ordinal)) >= 2,
            "the waiting message repeats while the caller waits:\n" + string.Join("\n", call.CallerHeard));
        Assert.Equal(2, _voice.Calls.Count); // the first round still rings: nobody else yet

        var ioana = Phone(IoanaPhone);
        var maria = Phone(MariaPhone);
        await ioana.AnswerAsync();
        AssertHeard(ioana.Heard, "Hotline call, Romanian. Press 1 to accept.");
        await ioana.PressAsync("1");

        Assert.Equal(CallState.Connected, call.State);
        Assert.Equal(OutboundCallState.Bridged, ioana.State);
        Assert.Equal(OutboundCallState.Ended, maria.State);
        Assert.True(StoppedByTheApp(maria), "Maria's phone stopped once Ioana took the call");
        Assert.False(StoppedByTheApp(ioana));
        var connected = await VoiceConversationAsync();
        Assert.Equal(("voice", "ro", ConversationStatus.Active, "ioana"), (connected.Channel, connected.Language, connected.Status, connected.AssignedTo));
        Assert.Equal(CallPhase.Connected, connected.CurrentCall!.Phase);

        call.PassTime(TimeSpan.FromMinutes(3));
        await call.HangUpAsync();

        var ended = await Eventually.ReturnsAsync(async () =>
            await Store.FindAsync(connected.Id) is { CurrentCall.Phase: CallPhase.Ended } c ? c : null, "the call recorded as over");
        Assert.Equal(OutboundCallState.Ended, ioana.State);
        Assert.Empty(_voice.Queues); // the caller's queue is deleted at Twilio once they left it
        var record = ended.CurrentCall!;
        Assert.Equal(CallOutcome.Answered, record.Outcome);
        Assert.Equal("ioana", record.AnsweredBy);
        Assert.NotNull(record.WaitingTime);
        Assert.NotNull(record.TalkTime);
        // The counsellor who answered keeps the conversation, for the intake.
        Assert.Equal(("ioana", ConversationStatus.Active), (ended.AssignedTo, ended.Status));
        var transcript = (await Store.MessagesAsync(ended.Id)).Select(m => m.Text.Reveal()).ToList();
        Assert.Equal(CallEvents.Started, transcript[0]);
        Assert.StartsWith("Phone call ended after", transcript[^1], StringComparison.Ordinal);
        Assert.Null((await Store.FindAsync(ended.Id))!.WaitingSince); // they talked: the caller waits for no reply
    }

    [Fact]
    public async Task The_general_line_speaks_each_menu_option_in_its_own_language_and_the_key_pressed_chooses_it()
    {
        var call = await CallAsync(to: GeneralLine);

        foreach (var entry in Catalogue.Menu.Where(e => Catalogue.DeliveryOf(VoicePrompt.LanguageMenuOption, e.Language) == PromptDelivery.Spoken))
        {
            var voice = Catalogue.VoiceOf(entry.Language)!;
            AssertHeard(call.CallerHeard, $"say[{voice.Locale}/{voice.Name}]: {Catalogue.Text(VoicePrompt.LanguageMenuOption, entry.Language, entry.Key)}");
        }

        var ukrainian = Catalogue.Menu.Single(e => e.Language == "uk");
        await call.PressAsync(ukrainian.Key);

        AssertHeard(call.CallerHeard, Said(VoicePrompt.Safety, "uk"));
        Assert.Equal("uk", (await VoiceConversationAsync()).Language);
    }

    [Fact]
    public async Task A_caller_who_presses_nothing_hears_the_menu_twice_then_goes_on_in_the_default_language()
    {
        var call = await CallAsync(to: GeneralLine);
        var option = Catalogue.Text(VoicePrompt.LanguageMenuOption, "ro", Catalogue.Menu.Single(e => e.Language == "ro").Key);

        await call.StayQuietAsync();
        Assert.Equal(2, call.CallerHeard.Count(l => l.Contains(option, StringComparison.Ordinal)));
        await call.StayQuietAsync();

        AssertHeard(call.CallerHeard, Said(VoicePrompt.Safety, Catalogue.DefaultLanguage));
        Assert.Equal(Catalogue.DefaultLanguage, (await VoiceConversationAsync()).Language);
    }

    [Fact]
    public async Task A_repeat_callers_call_joins_their_conversation_in_its_language_but_hears_the_menu_if_none_was_chosen_yet()
    {
        var first = await CallAsync(to: GeneralLine);
        var second = await CallAsync(to: GeneralLine); // the first is still in the menu: no language chosen yet
        var option = Catalogue.Text(VoicePrompt.LanguageMenuOption, "ro", Catalogue.Menu.Single(e => e.Language == "ro").Key);
        AssertHeard(second.CallerHeard, option);
        await second.PressAsync(Catalogue.Menu.Single(e => e.Language == "ro").Key);
        await first.HangUpAsync();

        var third = await CallAsync(to: GeneralLine);

        AssertHeard(third.CallerHeard, Said(VoicePrompt.Safety, "ro")); // Romanian chosen before: no menu
        var conversation = await VoiceConversationAsync();
        Assert.Equal(3, conversation.Calls.Count);
        Assert.Single(await Store.ListOpenAsync());
    }

    [Fact]
    public async Task Pressing_9_raises_an_emergency_and_rings_the_supervisor_on_duty_with_the_first_round()
    {
        var call = await CallAsync();
        await call.PressAsync("9");

        Assert.Equal(CallState.Queued, call.State);
        Assert.Equal([IoanaPhone, MariaPhone, SamPhone], _voice.Calls.Select(p => p.To).Order());
        var conversation = await VoiceConversationAsync();
        Assert.NotNull(conversation.EmergencyAt);
        var escalation = await _app.Services.GetRequiredService<IEscalationStore>().FindAsync(conversation.EscalationId!);
        Assert.Equal(CallDesk.PressedNineSource, escalation!.Source);

        var sam = Phone(SamPhone);
        await sam.AnswerAsync();
        AssertHeard(sam.Heard, "Emergency hotline call, Romanian. Press 1 to accept.");
    }

    [Fact]
    public async Task Two_counsellors_accepting_at_the_same_moment_one_is_connected_and_the_other_hears_the_call_was_taken()
    {
        var call = await CallAsync();
        await call.StayQuietAsync();
        var phones = _voice.Calls.ToList();
        await Task.WhenAll(phones.Select(p => p.AnswerAsync()));

        // Both keys reach the app at once: the app gives the call to exactly one of them.
        var conversation = await VoiceConversationAsync();
        var desk = _app.Services.GetRequiredService<CallDesk>();
        var results = await Task.WhenAll(
            desk.AcceptAsync(conversation.Id, call.CallSid, "ioana"),
            desk.AcceptAsync(conversation.Id, call.CallSid, "maria"));
        Assert.Single(results, r => r == AcceptResult.Accepted);
        var (winner, loser) = results[0] == AcceptResult.Accepted
            ? (Phone(IoanaPhone), Phone(MariaPhone))
            : (Phone(MariaPhone), Phone(IoanaPhone));

        // Through Twilio: the one who lost the race hears that the call was taken and is hung up; the winner is
        // connected (their key arriving again changes nothing).
        await loser.PressAsync("1");
        AssertHeard(loser.Heard, "This call was taken by a colleague.");
        Assert.Equal(OutboundCallState.Ended, loser.State);
        await winner.PressAsync("1");
        Assert.Equal(OutboundCallState.Bridged, winner.State);
        Assert.Equal(CallState.Connected, call.State);
        Assert.Equal(winner.To == IoanaPhone ? "ioana" : "maria", (await Store.FindAsync(conversation.Id))!.AssignedTo);
    }

    [Fact]
    public async Task Nobody_answering_moves_to_the_fallback_then_offers_a_voicemail_played_through_the_app_and_deleted_at_Twilio_once_handled()
    {
        var call = await CallAsync();
        await call.StayQuietAsync();
        await NobodyAnswersARoundAsync(call);
        // The next round: the supervisor on duty, the end of the chain; the first round's phones stopped ringing.
        Assert.Equal([IoanaPhone, MariaPhone], _voice.Calls.Take(2).Select(p => p.To).Order()); // rung at once, in any order
        Assert.Equal(SamPhone, _voice.Calls[2].To);
        Assert.All(_voice.Calls.Take(2), p => Assert.Equal(OutboundCallState.Ended, p.State));
        await NobodyAnswersARoundAsync(call);

        Assert.Equal(CallState.WaitingForKeys, call.State); // out of the queue, at the offer
        AssertHeard(call.CallerHeard, Said(VoicePrompt.NobodyAnswered, "ro"));
        Assert.Equal(3, _voice.Calls.Count);
        await call.PressAsync("1");
        AssertHeard(call.CallerHeard, Said(VoicePrompt.VoicemailInstructions, "ro"));
        await call.RecordAsync(12, "#");
        AssertHeard(call.CallerHeard, Said(VoicePrompt.VoicemailSaved, "ro"));

        var withVoicemail = await Eventually.ReturnsAsync(async () =>
            await VoiceConversationAsync() is { CurrentCall.RecordingSid: not null, Status: ConversationStatus.Offered } c ? c : null,
            "the voicemail offered to a counsellor");
        var recording = withVoicemail.CurrentCall!;
        Assert.Equal((CallOutcome.Voicemail, 12), (recording.Outcome, recording.RecordingSeconds));
        _twilio.Recordings[recording.RecordingSid!] = [1, 2, 3, 4];

        var counsellor = await StaffTokens.ClientForAsync(_app, withVoicemail.AssignedTo!, "counsellor");
        var detail = await counsellor.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/conversations/{withVoicemail.Id}");
        var url = detail.GetProperty("calls")[0].GetProperty("voicemailUrl").GetString()!;
        Assert.StartsWith("/api/conversations/", url, StringComparison.Ordinal); // the app's address, never Twilio's
        var audio = await counsellor.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, audio.StatusCode);
        Assert.Equal("audio/mpeg", audio.Content.Headers.ContentType!.MediaType);
        Assert.Equal([1, 2, 3, 4], await audio.Content.ReadAsByteArrayAsync());

        var handled = await counsellor.PostAsync($"/api/conversations/{withVoicemail.Id}/voicemails/handled", null);
        Assert.Equal(HttpStatusCode.OK, handled.StatusCode);
        Assert.Contains(recording.RecordingSid!, _twilio.RecordingDeletions);
        Assert.Empty(_twilio.Recordings);
        Assert.Null((await Store.FindAsync(withVoicemail.Id))!.CurrentCall!.RecordingSid);
        Assert.Equal(HttpStatusCode.NotFound, (await counsellor.GetAsync(url)).StatusCode);
    }

    [Fact]
    public async Task Asking_for_a_callback_is_recorded_and_a_counsellor_is_found_to_follow_it_up()
    {
        var call = await CallAsync();
        await call.StayQuietAsync();
        await NobodyAnswersARoundAsync(call);
        await NobodyAnswersARoundAsync(call);
        await call.PressAsync("2");
        await call.PressAsync("3"); // evenings
        await call.PressAsync("2"); // no message

        AssertHeard(call.CallerHeard, Said(VoicePrompt.CallbackConfirmed, "ro"));
        Assert.Equal(CallState.Ended, call.State);
        var conversation = await Eventually.ReturnsAsync(async () =>
            await VoiceConversationAsync() is { Status: ConversationStatus.Offered, CallbackRequestedAt: not null } c ? c : null,
            "the callback request offered to a counsellor");
        Assert.Equal(CallOutcome.CallbackRequested, conversation.CurrentCall!.Outcome);
    }

    [Fact]
    public async Task Hanging_up_in_the_menu_or_while_phones_ring_is_recorded_as_abandoned_and_the_board_counts_it()
    {
        var inMenu = await CallAsync(to: GeneralLine);
        await inMenu.HangUpAsync();
        var first = await Eventually.ReturnsAsync(async () =>
            await VoiceConversationAsync() is { Status: ConversationStatus.Closed } c ? c : null, "the abandoned call's conversation closed");
        Assert.Equal(CallOutcome.AbandonedInMenu, first.CurrentCall!.Outcome);

        var ringing = await CallAsync();
        await ringing.StayQuietAsync();
        Assert.Equal(CallState.Queued, ringing.State);
        await ringing.HangUpAsync();
        // The phones rung for the caller stop at once: nobody picks up for a caller who is gone.
        Assert.All(_voice.Calls, phone => Assert.True(phone.State == OutboundCallState.Ended && StoppedByTheApp(phone), $"{phone.To}: {phone.State}"));
        var second = await Eventually.ReturnsAsync(async () =>
            await VoiceConversationAsync() is { Status: ConversationStatus.Closed } c && c.Id != first.Id ? c : null, "the second call's conversation closed");
        Assert.Equal(CallOutcome.AbandonedWhileWaiting, second.CurrentCall!.Outcome);
        Assert.NotNull(second.CurrentCall.WaitingTime);
        // Nobody was rung again after the caller hung up.
        Assert.Equal(2, _voice.Calls.Count);

        var supervisor = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        var board = await supervisor.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/board");
        var calls = board.GetProperty("calls").EnumerateArray().ToDictionary(c => c.GetProperty("language").GetString()!);
        Assert.Equal(1, calls["ro"].GetProperty("abandonedWhileWaiting").GetInt32());
        Assert.Equal(1, calls[first.Language].GetProperty("abandonedInMenu").GetInt32());
    }

    [Fact]
    public async Task The_board_shows_a_caller_waiting_on_the_line()
    {
        var call = await CallAsync();
        await call.StayQuietAsync();

        var supervisor = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        var board = await supervisor.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/board");
        var romanian = board.GetProperty("calls").EnumerateArray().Single(c => c.GetProperty("language").GetString() == "ro");
        Assert.Equal(1, romanian.GetProperty("waiting").GetInt32());
    }

    [Fact]
    public async Task A_blocked_caller_is_refused_as_busy_and_nothing_is_stored()
    {
        var pseudonym = await _app.Services.GetRequiredService<CallerPseudonymizer>().PseudonymOfAsync(Caller);
        var now = DateTimeOffset.UtcNow;
        await Store.BlockCallerAsync(new CallerBlock(pseudonym, "abuse", "sam", now, now.AddDays(1)));

        var call = await CallAsync();

        Assert.Equal(CallState.Ended, call.State);
        AssertHeard(call.CallerHeard, "reject");
        Assert.Empty(await Store.ListOpenAsync());
    }

    [Fact]
    public async Task A_retried_incoming_call_webhook_joins_the_same_conversation_and_a_wrong_signature_is_refused()
    {
        var call = await CallAsync();
        var first = call.Requests[0];
        var voice = new TwilioWebhookClient(_app, path: "/api/twilio/voice");
        var form = first.Parameters.ToDictionary(p => p.Key, p => p.Value);

        var again = await voice.PostAsync(form);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        TwimlChecker.Ensure(await again.Content.ReadAsStringAsync());
        Assert.Single(await Store.ListOpenAsync());
        Assert.Single((await VoiceConversationAsync()).Calls);

        Assert.Equal(HttpStatusCode.Forbidden, (await voice.PostAsync(form, signatureOverride: "bm90IGEgc2lnbmF0dXJl")).StatusCode);
        form.Remove("CallSid");
        Assert.Equal(HttpStatusCode.BadRequest, (await voice.PostAsync(form)).StatusCode);
    }

    [Fact]
    public async Task No_caller_number_and_no_counsellor_number_is_stored_or_logged_in_plaintext()
    {
        var answered = await CallAsync();
        await answered.StayQuietAsync();
        var ioana = Phone(IoanaPhone);
        await ioana.AnswerAsync();
        await ioana.PressAsync("1");
        await answered.HangUpAsync();

        var voicemail = await CallAsync(from: "+40744555666");
        await voicemail.StayQuietAsync();
        await NobodyAnswersARoundAsync(voicemail);
        await NobodyAnswersARoundAsync(voicemail);
        await voicemail.PressAsync("1");
        await voicemail.RecordAsync(5);

        await Eventually.TrueAsync(async () => (await Store.ListOpenAsync()).Any(c => c.CurrentCall?.RecordingSid is not null), "the voicemail stored");
        var stored = await StoredData.EverythingAsync(_app);
        var logs = _app.Logs.AllText + "\n" + _app.HostLogs.AllText;
        foreach (var number in new[] { Caller, "+40744555666", IoanaPhone, MariaPhone, SamPhone })
        {
            foreach (var form in StoredData.FormsOf(number, "0" + number[3..])) // all of them have a two-digit country code
            {
                Assert.DoesNotContain(form, stored, StringComparison.Ordinal);
                Assert.DoesNotContain(form, logs, StringComparison.Ordinal);
            }
        }
    }
}

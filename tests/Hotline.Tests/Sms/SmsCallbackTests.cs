using System.Xml.Linq;
using Azure.Storage.Queues;
using Hotline.Callbacks;
using Hotline.Conversations;
using Hotline.Messaging;
using Hotline.Privacy;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Sms;

/// <summary>
/// A callback asked for by SMS, end to end through the signed webhook: the questions in her language, the answers
/// kept on a draft request, her number and code word only in the request's secrets, the confirmation she can correct
/// or cancel.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class SmsCallbackTests : IAsyncLifetime
{
    private const string Caller = "+40721234567";
    private const string RomanianLine = "+40212345678";
    private RunningApp _app = null!;
    private TwilioWebhookClient _twilio = null!;

    public async Task InitializeAsync()
    {
        await new QueueClient(TestEnvironment.StorageConnectionString, QueueNames.ConversationsToRoute).ClearMessagesAsync().ContinueWith(_ => { });
        _app = await RunningApp.StartWithRosterAsync(
            [new("ioana", "Ioana", ["ro", "en"], OnCall: true, Capacity: 4)],
            new Dictionary<string, string?> { ["Sms:Numbers"] = RomanianLine + "=ro" });
        _twilio = new TwilioWebhookClient(_app);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private CallerTexts Texts => _app.Services.GetRequiredService<CallerTexts>();

    private CallbackIntake Intake => _app.Services.GetRequiredService<CallbackIntake>();

    private ICallbackSecrets Secrets => _app.Services.GetRequiredService<ICallbackSecrets>();

    private IConversationStore Store => _app.Services.GetRequiredService<IConversationStore>();

    [Fact]
    public async Task The_whole_exchange_in_English_ends_in_a_waiting_request_with_her_answers_and_her_secrets()
    {
        Assert.Equal(Texts.Get("en", CallerText.CallbackAskNumber), await SayAsync("CALLBACK"));
        Assert.Equal(Texts.Get("en", CallerText.CallbackAskWhen), await SayAsync("07911 123456"));
        Assert.Equal(Texts.Get("en", CallerText.CallbackAskMessage), await SayAsync("after 8 pm"));
        Assert.Equal(Texts.Get("en", CallerText.CallbackAskWord), await SayAsync("YES"));
        var summary = await SayAsync("blue heron");

        var windows = Intake.ReadWindows("after 8 pm", "en").Windows;
        Assert.Equal(Summary("en", "•••• 3456", windows, CallerText.CallbackMessageYes, CallerText.CallbackWordSet), summary);
        Assert.DoesNotContain("7911", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("heron", summary, StringComparison.OrdinalIgnoreCase);

        Assert.Equal(Texts.Get("en", CallerText.CallbackConfirmed), await SayAsync("ok"));

        var request = await RequestAsync();
        Assert.Equal(CallbackStatus.Waiting, request.Status);
        Assert.Equal("sms", request.Channel);
        Assert.Equal("en", request.Language);
        Assert.Null(request.SetupStep);
        AssertSameWindows(windows, request.Windows);
        Assert.True(request.MayLeaveMessage);
        Assert.Equal(new CallbackSecrets("+447911123456", "blue heron"), await Secrets.ReadAsync(request.Id));
    }

    [Fact]
    public async Task The_whole_exchange_in_Romanian_with_her_own_words_and_a_national_number_for_the_line_she_wrote_to()
    {
        await SayAsync("Bună ziua, am nevoie de ajutor", to: RomanianLine);

        Assert.Equal(Texts.Get("ro", CallerText.CallbackAskNumber), await SayAsync("SUNAȚI-MĂ", to: RomanianLine));
        Assert.Equal(Texts.Get("ro", CallerText.CallbackAskWhen), await SayAsync("0722 123 456", to: RomanianLine));
        Assert.Equal(Texts.Get("ro", CallerText.CallbackAskMessage), await SayAsync("mâine dimineață", to: RomanianLine));
        Assert.Equal(Texts.Get("ro", CallerText.CallbackAskWord), await SayAsync("nu", to: RomanianLine));
        var summary = await SayAsync("sari", to: RomanianLine);

        var windows = Intake.ReadWindows("mâine dimineață", "ro").Windows;
        Assert.NotEmpty(windows);
        Assert.Equal(Summary("ro", "•••• 3456", windows, CallerText.CallbackMessageNo, CallerText.CallbackWordNone), summary);
        Assert.Equal(Texts.Get("ro", CallerText.CallbackConfirmed), await SayAsync("OK", to: RomanianLine));

        var request = await RequestAsync();
        Assert.Equal(CallbackStatus.Waiting, request.Status);
        Assert.Equal("ro", request.Language);
        AssertSameWindows(windows, request.Windows);
        Assert.False(request.MayLeaveMessage);
        Assert.Equal(new CallbackSecrets("+40722123456", null), await Secrets.ReadAsync(request.Id));
    }

    [Theory]
    [InlineData("OK")]
    [InlineData("same")]
    [InlineData("this one")]
    public async Task Her_own_number_is_the_one_called_when_she_says_so(string answer)
    {
        await SayAsync("CALLBACK");
        Assert.Equal(Texts.Get("en", CallerText.CallbackAskWhen), await SayAsync(answer));

        var request = await RequestAsync();
        Assert.Equal(SmsCallbackExchange.WhenStep, request.SetupStep);
        Assert.Equal(Caller, (await Secrets.ReadAsync(request.Id))!.PhoneNumber);
    }

    [Fact]
    public async Task Every_step_can_be_skipped_her_number_waking_hours_no_message_no_code_word()
    {
        await SayAsync("CALLBACK");
        await SayAsync("SKIP");
        await SayAsync("skip");
        await SayAsync("SKIP");
        var summary = await SayAsync("SKIP");

        var anyTime = Intake.AnyTime();
        Assert.Equal(Summary("en", "•••• 4567", anyTime, CallerText.CallbackMessageNo, CallerText.CallbackWordNone), summary);
        Assert.Equal(Texts.Get("en", CallerText.CallbackConfirmed), await SayAsync("OK"));
        var request = await RequestAsync();
        Assert.Equal(CallbackStatus.Waiting, request.Status);
        AssertSameWindows(anyTime, request.Windows);
        Assert.False(request.MayLeaveMessage);
        Assert.Equal(new CallbackSecrets(Caller, null), await Secrets.ReadAsync(request.Id));
    }

    [Fact]
    public async Task A_time_she_corrects_at_the_confirmation_replaces_the_first_and_brings_her_back_to_the_confirmation()
    {
        await SayAsync("CALLBACK");
        await SayAsync("OK");
        await SayAsync("tomorrow morning");
        await SayAsync("NO");
        await SayAsync("SKIP");

        Assert.Equal(Texts.Get("en", CallerText.CallbackAskWhen), await SayAsync("TIME"));
        var corrected = Intake.ReadWindows("20-22", "en").Windows;
        Assert.Equal(Summary("en", "•••• 4567", corrected, CallerText.CallbackMessageNo, CallerText.CallbackWordNone), await SayAsync("20-22"));
        Assert.Equal(Texts.Get("en", CallerText.CallbackConfirmed), await SayAsync("OK"));

        var request = await RequestAsync();
        Assert.Equal(CallbackStatus.Waiting, request.Status);
        AssertSameWindows(corrected, request.Windows);
        Assert.NotEqual(Intake.ReadWindows("tomorrow morning", "en").Windows, request.Windows);
    }

    [Fact]
    public async Task A_time_not_understood_is_said_so_and_asked_again_with_examples()
    {
        await SayAsync("CALLBACK");
        await SayAsync("OK");

        var reply = await SayAsync("when the cows come home");

        Assert.Equal(Texts.Get("en", CallerText.CallbackWhenNotUnderstood) + "\n\n" + Texts.Get("en", CallerText.CallbackAskWhen), reply);
        Assert.Contains("20-22", reply, StringComparison.Ordinal);
        Assert.Equal(SmsCallbackExchange.WhenStep, (await RequestAsync()).SetupStep);
    }

    [Theory]
    [InlineData("NO CALL")]
    [InlineData("cancel callback")]
    public async Task Cancelling_mid_way_closes_the_draft_and_destroys_what_she_gave(string cancel)
    {
        await SayAsync("CALLBACK");
        await SayAsync("07911 123456");
        var draft = await RequestAsync();
        Assert.NotNull(await Secrets.ReadAsync(draft.Id));

        Assert.Equal(Texts.Get("en", CallerText.CallbackCancelled), await SayAsync(cancel));

        var request = await RequestAsync();
        Assert.Equal(CallbackStatus.Closed, request.Status);
        Assert.Equal(CallbackClosure.Cancelled, request.ClosedAs);
        Assert.Null(await Secrets.ReadAsync(request.Id));
        Assert.True((await ConversationAsync()).Reachable);
    }

    [Fact]
    public async Task Cancelling_in_Romanian_at_the_confirmation_works_too()
    {
        await SayAsync("Bună ziua, am nevoie de ajutor", to: RomanianLine);
        await SayAsync("SUNAȚI-MĂ", to: RomanianLine);
        await SayAsync("OK", to: RomanianLine);
        await SayAsync("după 20", to: RomanianLine);
        await SayAsync("da", to: RomanianLine);
        await SayAsync("trandafir", to: RomanianLine);

        Assert.Equal(Texts.Get("ro", CallerText.CallbackCancelled), await SayAsync("anulează", to: RomanianLine));

        var request = await RequestAsync();
        Assert.Equal(CallbackClosure.Cancelled, request.ClosedAs);
        Assert.Null(await Secrets.ReadAsync(request.Id));
    }

    [Fact]
    public async Task Twilios_own_CANCEL_mid_way_opts_her_out_and_ends_the_callback_she_was_setting_up()
    {
        await SayAsync("CALLBACK");
        await SayAsync("07911 123456");

        // Twilio has opted her out already; whatever she meant, nothing more is sent and nobody calls.
        Assert.Null(await SayAsync("CANCEL"));

        var request = await RequestAsync();
        Assert.Equal(CallbackClosure.Cancelled, request.ClosedAs);
        Assert.Null(await Secrets.ReadAsync(request.Id));
        Assert.False((await ConversationAsync()).Reachable);
    }

    [Fact]
    public async Task A_number_that_does_not_read_gets_a_plain_reason_in_her_language_and_the_question_again()
    {
        await SayAsync("Bună ziua, am nevoie de ajutor", to: RomanianLine);
        await SayAsync("SUNAȚI-MĂ", to: RomanianLine);
        var ask = Texts.Get("ro", CallerText.CallbackAskNumber);

        Assert.Equal(Texts.Get("ro", CallerText.CallbackNumberWrongLength) + "\n\n" + ask, await SayAsync("0722 12", to: RomanianLine));
        Assert.Equal(Texts.Get("ro", CallerText.CallbackNumberNotANumber) + "\n\n" + ask, await SayAsync("nu știu încă", to: RomanianLine));
        Assert.Equal(Texts.Get("ro", CallerText.CallbackNumberNotCallable) + "\n\n" + ask, await SayAsync("0900 123 456", to: RomanianLine));
        Assert.Equal(SmsCallbackExchange.NumberStep, (await RequestAsync()).SetupStep);

        Assert.Equal(Texts.Get("ro", CallerText.CallbackAskWhen), await SayAsync("+40 722 123 456", to: RomanianLine));
        Assert.Equal("+40722123456", (await Secrets.ReadAsync((await RequestAsync()).Id))!.PhoneNumber);
    }

    [Fact]
    public async Task A_redelivered_answer_does_not_move_the_exchange_on_twice()
    {
        await SayAsync("CALLBACK");
        await SayAsync("OK");
        await SayAsync("after 8 pm");
        var sid = TwilioWebhookClient.NewMessageSid();
        Assert.Equal(Texts.Get("en", CallerText.CallbackAskWord), await SayAsync("NO", sid));

        // Twilio retries the same message: were it taken as the next answer, "NO" would become her code word.
        Assert.Null(await SayAsync("NO", sid));

        var request = await RequestAsync();
        Assert.Equal(SmsCallbackExchange.WordStep, request.SetupStep);
        Assert.Null((await Secrets.ReadAsync(request.Id))!.CodeWord);
        Assert.Single(await Store.MessagesAsync(request.ConversationId), m => m.Text.Reveal() == "NO");
    }

    [Fact]
    public async Task Her_number_and_code_word_are_nowhere_in_the_conversation_tables_queues_or_logs()
    {
        await SayAsync("CALLBACK");
        await SayAsync("07911 123456");
        await SayAsync("after 8 pm");
        await SayAsync("YES");
        await SayAsync("Pelican-Azalea");
        Assert.Equal(Texts.Get("en", CallerText.CallbackAskNumber), await SayAsync("NUMBER"));
        Assert.StartsWith(Texts.Get("en", CallerText.CallbackSummary)[..20], await SayAsync("+40 745 123 456"), StringComparison.Ordinal);
        Assert.Equal(Texts.Get("en", CallerText.CallbackAskWord), await SayAsync("WORD"));
        await SayAsync("Marigold-Osprey");
        Assert.Equal(Texts.Get("en", CallerText.CallbackConfirmed), await SayAsync("OK"));
        var request = await RequestAsync();
        Assert.Equal(new CallbackSecrets("+40745123456", "Marigold-Osprey"), await Secrets.ReadAsync(request.Id));

        var transcript = (await Store.MessagesAsync(request.ConversationId)).Select(m => m.Text.Reveal()).ToList();
        Assert.Equal(
            ["CALLBACK", SmsCallbackExchange.NumberGiven, "after 8 pm", "YES", SmsCallbackExchange.CodeWordGiven, "NUMBER",
             SmsCallbackExchange.NumberGiven, "WORD", SmsCallbackExchange.CodeWordGiven, "OK"],
            transcript);

        var everything = await StoredData.EverythingAsync(_app) + _app.HostLogs.AllText;
        foreach (var secret in new[] { "7911123456", "7911 123456", "745123456", "745 123 456", "Pelican", "Azalea", "Marigold", "Osprey" })
        {
            Assert.DoesNotContain(secret, everything, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Her_erasure_request_cancels_her_callback_and_destroys_its_secrets()
    {
        await SayAsync("CALLBACK");
        await SayAsync("07911 123456");
        var request = await RequestAsync();
        Assert.NotNull(await Secrets.ReadAsync(request.Id));

        Assert.Equal(Texts.Get("en", CallerText.DeleteConfirmation), await SayAsync("DELETE"));

        var closed = await _app.Services.GetRequiredService<ICallbackStore>().FindAsync(request.Id);
        Assert.Equal(CallbackClosure.Cancelled, closed!.ClosedAs);
        Assert.Null(await Secrets.ReadAsync(request.Id));
    }

    /// <summary>The same windows, read a moment apart (one open already starts, and the last ends, relative to that moment).</summary>
    private static void AssertSameWindows(IReadOnlyList<SafeWindow> expected, IReadOnlyList<SafeWindow> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.All(expected.Zip(actual), pair => Assert.True(
            (pair.First.Start - pair.Second.Start).Duration() < TimeSpan.FromMinutes(1) && (pair.First.End - pair.Second.End).Duration() < TimeSpan.FromMinutes(1),
            $"{pair.First} {pair.Second}"));
    }

    /// <summary>Sends her message and returns the text of the answer (null for none).</summary>
    private async Task<string?> SayAsync(string body, string? sid = null, string to = TwilioWebhookClient.GeneralNumber)
    {
        var response = await _twilio.SendSmsAsync(Caller, body, sid, to);
        response.EnsureSuccessStatusCode();
        return XDocument.Parse(await response.Content.ReadAsStringAsync()).Root!.Element("Message")?.Value;
    }

    private string Summary(string language, string number, IReadOnlyList<SafeWindow> windows, CallerText message, CallerText word) =>
        Texts.Get(language, CallerText.CallbackSummary, new Dictionary<string, string>
        {
            ["Number"] = number,
            ["Windows"] = Intake.Describe(windows, language),
            ["Message"] = Texts.Get(language, message),
            ["Word"] = Texts.Get(language, word),
        });

    private async Task<Conversation> ConversationAsync()
    {
        var pseudonym = await _app.Services.GetRequiredService<CallerPseudonymizer>().PseudonymOfAsync(Caller);
        var record = await Store.FindCallerAsync(pseudonym);
        return (await Store.FindAsync(record!.OpenConversationId!))!;
    }

    private async Task<CallbackRequest> RequestAsync()
    {
        var conversation = await ConversationAsync();
        return (await Intake.CurrentAsync(conversation))!;
    }
}

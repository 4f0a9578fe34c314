using System.Net.Http.Json;
using System.Text.Json;
using Hotline.Messaging;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Routing;

/// <summary>
/// A caller is told what will really happen: someone who speaks their language only when such a counsellor is on
/// call and present; otherwise a counsellor with an interpreter, or someone in another language, along the fallback
/// chain; and the out-of-hours answer when nobody at all can take the conversation.
/// </summary>
[Collection(SmsCollection.Name)]
public sealed class HonestAnswerTests : IAsyncLifetime
{
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await RunningApp.StartAsync(new Dictionary<string, string?> { ["LocalFunctionsHost:Enabled"] = "false" });
        var roster = _app.Services.GetRequiredService<IRosterStore>();
        // Wei speaks Chinese and is on call, but his console is not open.
        await roster.SaveAsync(new Counsellor("wei", "Wei", ["zh", "en"], OnCall: true, Capacity: 2));
        await roster.SaveAsync(new Counsellor("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 2));
        await roster.SaveAsync(new Counsellor("lucia", "Lucía", ["es"], OnCall: true, Capacity: 2) { BringsInterpreter = true });
        await roster.SaveAsync(new Counsellor("sam", "Sam", ["en"], OnCall: true, Capacity: 1) { SupervisorOnDuty = true });
        await OpenConsoles.PollAsync(_app, "ioana", "lucia", "sam");
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private CallerTexts Texts => _app.Services.GetRequiredService<CallerTexts>();

    private string Text(CallerText text, string language = "zh") =>
        Texts.Get(language, text, new Dictionary<string, string> { ["Language"] = Texts.LanguageName(language), ["EmergencyNumber"] = "112" });

    [Fact]
    public async Task A_Chinese_chat_with_nobody_present_who_speaks_Chinese_is_told_an_interpreter_will_help_not_that_a_speaker_will_answer()
    {
        var reply = await ChatAsync("你好，我需要帮助，我想问工资的问题");

        Assert.Equal(Text(CallerText.ChatAcknowledgementInterpreter), reply);
        Assert.NotEqual(Text(CallerText.ChatAcknowledgement), reply);
    }

    [Fact]
    public async Task A_Chinese_text_is_told_the_same_by_SMS_and_once_Wei_opens_his_console_a_speaker_is_promised()
    {
        var sms = new TwilioWebhookClient(_app);
        Assert.Contains(Escaped(Text(CallerText.AcknowledgementInterpreter)), await AnswerAsync(sms.SendSmsAsync("+8613800000001", "你好，我需要帮助，老板不给我工资")), StringComparison.Ordinal);

        await OpenConsoles.PollAsync(_app, "wei");
        Assert.Contains(Escaped(Text(CallerText.Acknowledgement)), await AnswerAsync(sms.SendSmsAsync("+8613800000002", "你好，我想问一个关于工作合同的问题")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_only_the_supervisor_there_the_caller_is_told_someone_will_answer_perhaps_in_another_language_and_with_nobody_the_out_of_hours_answer()
    {
        var roster = _app.Services.GetRequiredService<IRosterStore>();
        await roster.SetOnCallAsync("lucia", false);
        Assert.Equal(Text(CallerText.ChatAcknowledgementOtherLanguage), await ChatAsync("你好，我需要帮助"));

        await roster.SetOnCallAsync("sam", false);
        Assert.Equal(Text(CallerText.ChatOutOfHours), await ChatAsync("你好，我需要帮助"));
        // Ioana is there, but the chain as configured has no tier that lets her take Chinese: nobody can answer.
        Assert.True((await roster.FindAsync("ioana"))!.OnCall);
    }

    [Fact]
    public async Task Switching_to_a_language_nobody_present_speaks_says_how_it_will_be_answered()
    {
        var sms = new TwilioWebhookClient(_app);
        const string Caller = "+40722000701";
        Assert.Contains(Escaped(Text(CallerText.Acknowledgement, "ro")), await AnswerAsync(sms.SendSmsAsync(Caller, "Bună ziua, am nevoie de ajutor")), StringComparison.Ordinal);

        Assert.Contains(Escaped(Text(CallerText.LanguageSwitchedInterpreter)), await AnswerAsync(sms.SendSmsAsync(Caller, "ZH")), StringComparison.Ordinal);

        await _app.Services.GetRequiredService<IRosterStore>().SetOnCallAsync("lucia", false);
        Assert.Contains(Escaped(Text(CallerText.LanguageSwitchedOtherLanguage, "ar")), await AnswerAsync(sms.SendSmsAsync(Caller, "AR")), StringComparison.Ordinal);
        Assert.Contains(Escaped(Text(CallerText.LanguageSwitched, "ro")), await AnswerAsync(sms.SendSmsAsync(Caller, "RO")), StringComparison.Ordinal);
    }

    private static string Escaped(string text) => $"<Message>{System.Security.SecurityElement.Escape(text)}</Message>";

    private static async Task<string> AnswerAsync(Task<HttpResponseMessage> response) => await (await response).Content.ReadAsStringAsync();

    private async Task<string?> ChatAsync(string text)
    {
        var session = await _app.Http.PostAsync(new Uri("/api/chat/sessions", UriKind.Relative), null);
        var token = (await session.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/chat/messages", UriKind.Relative))
        {
            Content = JsonContent.Create(new { id = Guid.NewGuid().ToString("N"), text, language = "zh" }),
        };
        request.Headers.Add("X-Chat-Session", token);
        var response = await _app.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reply").GetString();
    }
}

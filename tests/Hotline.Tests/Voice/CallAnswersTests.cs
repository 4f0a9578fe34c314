using System.Reflection;
using Hotline.Functions.Dev.CallFlow;
using Hotline.Functions.Voice;
using Microsoft.Extensions.Configuration;

namespace Hotline.Tests.Voice;

/// <summary>
/// Every answer the voice line can give, in every language, is TwiML that Twilio documents: the answers are listed
/// by reflection, so an answer added later without a case here fails the test instead of going unchecked.
/// </summary>
public sealed class CallAnswersTests
{
    private static readonly Uri PublicBase = new("https://hotline.example.org/");
    private const string Conversation = "c-0123456789abcdef0123";
    private const string CallSid = "CA0123456789abcdef0123456789abcdef";

    [Fact]
    public void Every_answer_the_voice_line_can_give_is_TwiML_Twilio_documents_in_every_language()
    {
        var catalogue = VoiceCatalogueTests.Catalogue();
        var answers = new CallAnswers(catalogue, CallSettings.Read(new ConfigurationBuilder().Build()));
        var produced = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string answer, string twiml)
        {
            if (!produced.TryGetValue(answer, out var list))
            {
                produced[answer] = list = [];
            }

            list.Add(twiml);
        }

        Add(nameof(CallAnswers.Refuse), CallAnswers.Refuse());
        Add(nameof(CallAnswers.HangUp), CallAnswers.HangUp());
        Add(nameof(CallAnswers.Empty), CallAnswers.Empty());
        Add(nameof(CallAnswers.Connect), CallAnswers.Connect(CallSid));
        Add(nameof(CallAnswers.Enqueue), CallAnswers.Enqueue(PublicBase, Conversation, CallSid));
        Add(nameof(CallAnswers.Leave), CallAnswers.Leave());
        Add(nameof(CallAnswers.Taken), answers.Taken());
        Add(nameof(CallAnswers.NotAccepted), answers.NotAccepted());
        foreach (var attempt in new[] { 1, 2 })
        {
            Add(nameof(CallAnswers.Menu), answers.Menu(PublicBase, Conversation, attempt));
        }

        foreach (var language in catalogue.Languages)
        {
            Add(nameof(CallAnswers.Safety), answers.Safety(PublicBase, Conversation, language));
            Add(nameof(CallAnswers.Wait), answers.Wait(PublicBase, language, pauseSeconds: 3));
            Add(nameof(CallAnswers.Whisper), answers.Whisper(PublicBase, Conversation, CallSid, "counsellor1", language, emergency: false));
            Add(nameof(CallAnswers.Whisper), answers.Whisper(PublicBase, Conversation, CallSid, "counsellor1", language, emergency: true));
            Add(nameof(CallAnswers.Offer), answers.Offer(PublicBase, Conversation, language, attempt: 2));
            Add(nameof(CallAnswers.Voicemail), answers.Voicemail(PublicBase, Conversation, language));
            Add(nameof(CallAnswers.CallbackTimes), answers.CallbackTimes(PublicBase, Conversation, language, attempt: 1));
            Add(nameof(CallAnswers.CallbackMessage), answers.CallbackMessage(PublicBase, Conversation, language));
            Add(nameof(CallAnswers.CallbackWithoutNumber), answers.CallbackWithoutNumber(PublicBase, Conversation, language));
            foreach (var prompt in Enum.GetValues<VoicePrompt>().Where(p => p != VoicePrompt.LanguageMenuOption))
            {
                Add(nameof(CallAnswers.Closing), answers.Closing(PublicBase, language, prompt, VoicePrompt.Goodbye));
            }
        }

        var every = typeof(CallAnswers).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m.ReturnType == typeof(string)).Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(every.Order(), produced.Keys.Order());
        foreach (var (answer, documents) in produced)
        {
            foreach (var twiml in documents)
            {
                Assert.True(TwimlChecker.Problems(twiml) is { Count: 0 }, $"{answer}: {string.Join("; ", TwimlChecker.Problems(twiml))}\n{twiml}");
            }
        }
    }

    [Fact]
    public void The_caller_waits_in_a_queue_of_their_own_and_the_counsellor_who_accepts_is_connected_with_that_queue()
    {
        var enqueue = System.Xml.Linq.XElement.Parse(CallAnswers.Enqueue(PublicBase, Conversation, CallSid)).Element("Enqueue")!;
        var other = System.Xml.Linq.XElement.Parse(CallAnswers.Enqueue(PublicBase, Conversation, "CA" + new string('f', 32))).Element("Enqueue")!;
        var dial = System.Xml.Linq.XElement.Parse(CallAnswers.Connect(CallSid)).Element("Dial")!;

        Assert.Equal(enqueue.Value, dial.Element("Queue")!.Value);
        Assert.NotEqual(enqueue.Value, other.Value);
        Assert.True(enqueue.Value.Length <= 64, "Twilio's queue names are at most 64 characters");
        Assert.Equal("https://hotline.example.org/api/twilio/voice/wait?c=" + Conversation, enqueue.Attribute("waitUrl")!.Value);
        Assert.Equal("https://hotline.example.org/api/twilio/voice/left?c=" + Conversation, enqueue.Attribute("action")!.Value);
    }

    [Fact]
    public void The_waiting_message_plays_in_the_callers_language_then_pauses_at_most_until_the_next_round()
    {
        var catalogue = VoiceCatalogueTests.Catalogue();
        var answers = new CallAnswers(catalogue, CallSettings.Read(new ConfigurationBuilder().Build()));

        var wait = System.Xml.Linq.XElement.Parse(answers.Wait(PublicBase, "ro", pauseSeconds: 3));
        var longWait = System.Xml.Linq.XElement.Parse(answers.Wait(PublicBase, "ro", pauseSeconds: 40));
        var overdue = System.Xml.Linq.XElement.Parse(answers.Wait(PublicBase, "ro", pauseSeconds: -2));

        Assert.Equal(catalogue.Text(VoicePrompt.Waiting, "ro", null), wait.Element("Say")!.Value);
        Assert.Equal("3", wait.Element("Pause")!.Attribute("length")!.Value);
        Assert.Equal(CallAnswers.MaxWaitPauseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), longWait.Element("Pause")!.Attribute("length")!.Value);
        Assert.Equal("1", overdue.Element("Pause")!.Attribute("length")!.Value);
    }
}

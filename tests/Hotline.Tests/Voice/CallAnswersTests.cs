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
        Add(nameof(CallAnswers.Connect), CallAnswers.Connect());
        Add(nameof(CallAnswers.Taken), answers.Taken());
        Add(nameof(CallAnswers.NotAccepted), answers.NotAccepted());
        foreach (var attempt in new[] { 1, 2 })
        {
            Add(nameof(CallAnswers.Menu), answers.Menu(PublicBase, Conversation, attempt));
        }

        var round = Enumerable.Range(0, 10).Select(i => ($"counsellor{i}", $"+44770090{i:D4}")).ToList();
        foreach (var language in catalogue.Languages)
        {
            Add(nameof(CallAnswers.Safety), answers.Safety(PublicBase, Conversation, language));
            Add(nameof(CallAnswers.Ring), answers.Ring(PublicBase, Conversation, language, "+442071234567", round));
            Add(nameof(CallAnswers.Whisper), answers.Whisper(PublicBase, Conversation, "counsellor1", language, emergency: false));
            Add(nameof(CallAnswers.Whisper), answers.Whisper(PublicBase, Conversation, "counsellor1", language, emergency: true));
            Add(nameof(CallAnswers.Offer), answers.Offer(PublicBase, Conversation, language, attempt: 2));
            Add(nameof(CallAnswers.Voicemail), answers.Voicemail(PublicBase, Conversation, language));
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
    public void A_round_of_ringing_shows_the_hotlines_number_and_has_each_counsellor_accept_for_themselves()
    {
        var answers = new CallAnswers(VoiceCatalogueTests.Catalogue(), CallSettings.Read(new ConfigurationBuilder().Build()));

        var twiml = System.Xml.Linq.XElement.Parse(answers.Ring(PublicBase, Conversation, "ro", "+40312345678", [("ioana", "+447700900201"), ("maria", "+447700900202")]));

        var dial = twiml.Element("Dial")!;
        Assert.Equal("+40312345678", dial.Attribute("callerId")!.Value);
        Assert.Equal("20", dial.Attribute("timeout")!.Value);
        Assert.Equal(
            ["https://hotline.example.org/api/twilio/voice/whisper?c=" + Conversation + "&k=ioana", "https://hotline.example.org/api/twilio/voice/whisper?c=" + Conversation + "&k=maria"],
            dial.Elements("Number").Select(n => n.Attribute("url")!.Value));
    }
}

using Hotline.Callbacks;
using Hotline.Language;
using Hotline.Messaging;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Messaging;

/// <summary>The words a caller uses to ask for a callback by SMS, and the texts that tell her which to use.</summary>
public sealed class CallerTextsCallbackWordsTests
{
    private static readonly CallerTexts Texts = CallerTexts.Load(Path.Combine(TestEnvironment.RepoRoot, "functions", "Texts"));

    public static TheoryData<string> Languages => [.. LanguageDetector.Shipped];

    [Theory]
    [MemberData(nameof(Languages))]
    public void The_out_of_hours_answer_names_a_word_that_starts_the_callback_questions(string language)
    {
        var exchange = new SmsCallbackExchange(null!, Texts, null!);
        Assert.Contains("CALLBACK", Texts.Get(language, CallerText.OutOfHours), StringComparison.Ordinal);
        Assert.True(exchange.IsRequest("CALLBACK"));
        Assert.True(exchange.IsRequest("callback"));
        Assert.All(Texts.CallbackKeywords(language), word => Assert.True(exchange.IsRequest(word.ToLowerInvariant()), word));
        Assert.NotEmpty(Texts.CallbackKeywords(language));
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public void The_questions_name_the_answer_words_she_can_use_in_her_language(string language)
    {
        string First(CallbackAnswer answer)
        {
            var words = Texts.CallbackAnswerWords(language, answer);
            Assert.NotEmpty(words);
            return words[0];
        }

        void Names(CallerText text, params CallbackAnswer[] answers) =>
            Assert.All(answers, a => Assert.Contains(First(a), Texts.Get(language, text).ToUpperInvariant(), StringComparison.Ordinal));

        Names(CallerText.CallbackAskNumber, CallbackAnswer.Ok, CallbackAnswer.Cancel);
        Names(CallerText.CallbackAskWhen, CallbackAnswer.Skip);
        Names(CallerText.CallbackAskMessage, CallbackAnswer.Yes, CallbackAnswer.No, CallbackAnswer.Skip);
        Names(CallerText.CallbackAskWord, CallbackAnswer.Skip);
        Names(CallerText.CallbackSummary, CallbackAnswer.Ok, CallbackAnswer.Number, CallbackAnswer.Time, CallbackAnswer.Message, CallbackAnswer.Word, CallbackAnswer.Cancel);
        Assert.All(["{Number}", "{Windows}", "{Message}", "{Word}"], p => Assert.Contains(p, Texts.Get(language, CallerText.CallbackSummary), StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public void No_word_means_two_answers_and_none_is_a_word_Twilio_takes_as_opting_out(string language)
    {
        // English words are understood in every language, so they count too.
        var owners = new Dictionary<string, CallbackAnswer>(StringComparer.Ordinal);
        foreach (var answer in Enum.GetValues<CallbackAnswer>())
        {
            foreach (var word in Texts.CallbackAnswerWords(language, answer).Concat(Texts.CallbackAnswerWords("en", answer)).Select(SafeTimeWords.Fold).Distinct())
            {
                Assert.True(!owners.TryGetValue(word, out var other) || other == answer, $"{language}: '{word}' is both {other} and {answer}");
                owners[word] = answer;
                Assert.DoesNotContain(word.ToUpperInvariant(), (string[])["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]);
            }
        }
    }
}

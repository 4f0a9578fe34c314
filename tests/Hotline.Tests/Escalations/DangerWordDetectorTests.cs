using Hotline.Escalations;
using Hotline.Messaging;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Escalations;

public sealed class DangerWordDetectorTests
{
    private static readonly DangerWordDetector Detector = new(
        new[] { "m-au închis", "they locked me", "kill myself", "мене б'ють", "救命", "محبوسة" }.Select(p => new DangerPhrase(p, DangerSituation.HeldAgainstWill)));

    private static readonly CallerTexts Shipped = CallerTexts.Load(Path.Combine(TestEnvironment.RepoRoot, "functions", "Texts"));

    private static readonly DangerWordDetector AllLanguages = new(Shipped.Languages.SelectMany(Shipped.DangerWords));

    [Theory]
    [InlineData("Ajutor, M-AU INCHIS în depozit", "m au inchis")] // case and diacritics ignored, hyphen or not
    [InlineData("ajutor m au inchis aici", "m au inchis")]
    [InlineData("please, they locked me in the container!", "they locked me")]
    [InlineData("I want to kill myself", "kill myself")]
    [InlineData("мене бʼють щодня", "мене б ють")] // the modifier-letter apostrophe Ukrainians type
    [InlineData("мене б’ють", "мене б ють")]
    [InlineData("老板不让我走救命啊", "救命")] // Chinese: anywhere in the text
    [InlineData("أنا مَحْبُوسَة في البيت", "محبوسه")] // Arabic vowel marks and teh marbuta folded
    public void Finds_a_danger_phrase_however_it_is_typed(string message, string expected) =>
        Assert.Equal(expected, Detector.FirstMatch(message));

    [Theory]
    [InlineData("they locked mercy out")] // whole words only
    [InlineData("the door was locked, me and my friend left")]
    [InlineData("Bună ziua, am o întrebare despre salariu")]
    [InlineData("")]
    public void Stays_quiet_on_ordinary_messages(string message) => Assert.Null(Detector.FirstMatch(message));

    [Fact]
    public void Every_shipped_language_has_a_danger_list_that_finds_its_own_words()
    {
        foreach (var language in Shipped.Languages)
        {
            var words = Shipped.DangerWords(language);
            Assert.True(words.Count >= 10, $"{language}.json has {words.Count} danger words");
            var detector = new DangerWordDetector(words);
            Assert.All(words, w => Assert.NotNull(detector.FirstMatch("... " + w.Phrase + " ...")));
        }
    }

    [Fact]
    public void Every_language_covers_every_situation_with_several_phrases()
    {
        var gaps = from language in Shipped.Languages
                   from situation in DangerSituations.All
                   let count = Shipped.DangerWords(language).Count(w => w.Situation == situation)
                   where count < 3
                   select $"{language}: {situation.Id()} has {count}";
        Assert.Empty(gaps);
    }

    [Theory]
    [InlineData("لا يسمحون لي بالمغادرة")] // "they don't let me leave", as written
    [InlineData("ساعدوني، لا يسمحون لي بالمغادرة من البيت")]
    [InlineData("لا يسمَحون لي بالمُغادَرة")] // with vowel marks
    [InlineData("ولا يسمحون لي بالمغادرة")] // "and they don't let me…"
    [InlineData("الكفيل لا يسمحوا لي بالخروج")]
    [InlineData("ما يخلوني أطلع من البيت")] // the Gulf and Levant spoken form
    [InlineData("مش بيخلوني اخرج")] // Egyptian
    [InlineData("يمنعونني من الخروج")]
    public void The_Arabic_for_they_do_not_let_me_leave_is_flagged_as_held_against_their_will(string message) =>
        Assert.Equal(DangerSituation.HeldAgainstWill, AllLanguages.Find(message)?.Situation);

    [Theory]
    [InlineData("nu mă lasă să plec", DangerSituation.HeldAgainstWill)]
    [InlineData("no me dejan salir de la casa", DangerSituation.HeldAgainstWill)]
    [InlineData("patronul mi-a luat pașaportul", DangerSituation.DocumentsTaken)]
    [InlineData("they took my passport and threatened me", DangerSituation.DocumentsTaken)] // the first in the text
    [InlineData("je veux me tuer", DangerSituation.SelfHarm)] // the longest phrase at a word wins over "me tuer"
    [InlineData("ils veulent me tuer", DangerSituation.Threatened)]
    [InlineData("老板说要杀了我", DangerSituation.Threatened)]
    [InlineData("мені погрожують", DangerSituation.Threatened)]
    public void The_detector_says_which_situation_a_message_signals(string message, DangerSituation expected) =>
        Assert.Equal(expected, AllLanguages.Find(message)?.Situation);

    [Theory]
    [InlineData("Bună ziua, am o întrebare despre salariu și contract")]
    [InlineData("مرحبا، عندي سؤال عن الراتب")]
    [InlineData("Hello, can I ask about my visa application?")]
    public void Ordinary_messages_in_any_language_raise_nothing(string message) => Assert.Null(AllLanguages.Find(message));

    [Fact]
    public void A_texts_file_with_danger_words_not_sorted_by_situation_or_an_unknown_situation_is_refused_by_name()
    {
        var folder = Directory.CreateTempSubdirectory("hotline-texts-").FullName;
        try
        {
            var source = Path.Combine(TestEnvironment.RepoRoot, "functions", "Texts", "en.json");
            var en = File.ReadAllText(source);
            var section = en.IndexOf("\"DangerWords\"", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(folder, "en.json"), en[..section] + "\"DangerWords\": [\"help\"]\n}\n");
            var flat = Assert.Throws<CallerTextsException>(() => CallerTexts.Load(folder));
            Assert.Contains("en.json", flat.Message, StringComparison.Ordinal);
            Assert.Contains("held-against-will", flat.Message, StringComparison.Ordinal);

            File.WriteAllText(Path.Combine(folder, "en.json"), en.Replace("\"medical\": [", "\"sickness\": [", StringComparison.Ordinal));
            var unknown = Assert.Throws<CallerTextsException>(() => CallerTexts.Load(folder));
            Assert.Contains("'sickness'", unknown.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

public sealed class AlertSettingsTests
{
    [Theory]
    [InlineData("+40700000999", null, "Missing required setting 'Alerts__FromNumber'")]
    [InlineData("call sam", "+442071234567", "Setting 'Alerts__SupervisorNumbers' is malformed")]
    public async Task A_bad_alert_setting_stops_startup_naming_it(string numbers, string? from, string expected)
    {
        var e = await Assert.ThrowsAsync<Hotline.Functions.Configuration.StartupSettingException>(() => RunningApp.StartAsync(
            new Dictionary<string, string?> { ["Alerts:SupervisorNumbers"] = numbers, ["Alerts:FromNumber"] = from }));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }
}

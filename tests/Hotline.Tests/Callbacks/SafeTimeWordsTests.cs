using Hotline.Callbacks;

namespace Hotline.Tests.Callbacks;

public sealed class SafeTimeWordsTests
{
    [Fact]
    public void The_shipped_languages_have_their_words_and_the_machine_made_ones_are_marked_for_review()
    {
        var all = SafeWindowParserTests.Shipped;
        Assert.Superset(new HashSet<string> { "en", "ro", "bg", "uk", "ru", "es", "fr" }, all.Keys.ToHashSet());
        Assert.False(all["en"].NeedsReview);
        Assert.All(all.Values.Where(w => w.Language != "en"), w => Assert.True(w.NeedsReview, w.Language));

        var needed = new[] { TimeWord.Today, TimeWord.Tomorrow, TimeWord.Morning, TimeWord.Afternoon, TimeWord.Evening, TimeWord.Night, TimeWord.After, TimeWord.Before, TimeWord.Monday, TimeWord.Sunday, TimeWord.Weekdays, TimeWord.Weekend, TimeWord.AnyTime, TimeWord.OwnNumber };
        Assert.All(all.Values, w => Assert.All(needed, kind => Assert.NotEmpty(w.Words[kind])));
    }

    [Fact]
    public void A_language_is_added_with_a_file()
    {
        var folder = Directory.CreateTempSubdirectory("timewords-").FullName;
        try
        {
            File.Copy(Path.Combine(SafeWindowParserTests.ShippedFolder, "en.json"), Path.Combine(folder, "en.json"));
            File.WriteAllText(Path.Combine(folder, "pl.json"), """
                { "_review": "machine-made", "Tomorrow": ["jutro"], "Morning": ["rano"],
                  "Describe": { "Today": "dziś", "Tomorrow": "jutro", "EveryDayUntil": "codziennie {Times} do {End}", "EveryDayFromUntil": "codziennie {Times} od {Start} do {End}" } }
                """);
            var parser = new SafeWindowParser(SafeTimeWords.LoadAll(folder));
            var windows = parser.Parse("jutro rano", "pl", SafeWindowParserTests.Bucharest, SafeWindowParserTests.Now).Windows;
            Assert.Equal([new SafeWindow(new(2026, 12, 1, 6, 0, 0, TimeSpan.Zero), new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero))], windows);
            Assert.Equal("jutro 08:00–12:00", parser.Describe(windows, "pl", SafeWindowParserTests.Bucharest, SafeWindowParserTests.Now));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_file_missing_a_placeholder_or_a_list_is_refused_by_name()
    {
        var error = Assert.Throws<SafeTimeWordsException>(() => SafeTimeWords.Parse("xx", """
            { "Describe": { "Today": "t", "Tomorrow": "m", "EveryDayUntil": "every day {Times}", "EveryDayFromUntil": "{Times} {Start} {End}" } }
            """, "xx.json"));
        Assert.Contains("xx.json: 'Describe.EveryDayUntil' must contain {End}", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<SafeTimeWordsException>(() => SafeTimeWords.Parse("xx", """{ "Morning": "dimineata" }""", "xx.json"));
        Assert.Contains("'Morning' must be a list", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Folding_drops_accents_so_words_typed_without_them_match() =>
        Assert.Equal("maine dimineata, apres-midi, 'a", SafeTimeWords.Fold("Mâine DIMINEAȚA, après–midi, ’à"));
}

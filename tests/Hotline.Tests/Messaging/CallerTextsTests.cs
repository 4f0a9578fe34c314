using Hotline.Language;
using Hotline.Messaging;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Messaging;

public sealed class CallerTextsTests
{
    private static readonly string ShippedFolder = Path.Combine(TestEnvironment.RepoRoot, "functions", "Texts");

    [Fact]
    public void Every_shipped_language_has_every_caller_text()
    {
        var texts = CallerTexts.Load(ShippedFolder);

        Assert.Equal(LanguageDetector.Shipped.Order(), texts.Languages.Order());
        foreach (var language in LanguageDetector.Shipped)
        {
            foreach (var text in Enum.GetValues<CallerText>())
            {
                Assert.False(string.IsNullOrWhiteSpace(texts.Get(language, text)), $"{language}: {text}");
            }

            Assert.Contains("DELETE", texts.DeleteKeywords(language));
        }
    }

    [Fact]
    public void Machine_made_translations_are_marked_for_review_and_English_is_not()
    {
        var texts = CallerTexts.Load(ShippedFolder);
        Assert.False(texts.NeedsReview("en"));
        Assert.All(LanguageDetector.Shipped.Where(l => l != "en"), l => Assert.True(texts.NeedsReview(l), l));
    }

    // Word stems a watcher reading the caller's phone would notice, per language: trafficking, victim, police, NGO,
    // hotline, exploitation.
    public static TheoryData<string, string[]> TellTaleWords => new()
    {
        { "en", ["trafficking", "victim", "police", "ngo", "hotline", "exploitation"] },
        { "ro", ["trafic", "victim", "poliți", "ong", "linie fierbinte", "exploat"] },
        { "bg", ["трафик", "жертв", "полиция", "нпо", "гореща линия", "експлоат"] },
        { "ru", ["торговл", "трафик", "жертв", "полици", "нко", "горячая линия", "эксплуат"] },
        { "uk", ["торгівл", "трафік", "жертв", "поліці", "гаряча лінія", "експлуат"] },
        { "pl", ["handel ludźmi", "handlu ludźmi", "ofiar", "policj", "ngo", "infolinia", "wyzysk"] },
        { "sq", ["trafik", "viktim", "polic", "ojq", "linja e nxehtë", "shfrytëzim"] },
        { "sr", ["трговин", "trgovin", "жртв", "žrtv", "полициј", "policij", "експлоат", "eksploat"] },
        { "es", ["trata", "tráfico", "víctima", "policía", "ong", "explotación"] },
        { "fr", ["traite", "victime", "police", "ong", "exploitation"] },
        { "zh", ["贩卖", "拐卖", "人口", "受害", "警察", "非政府", "热线", "剥削"] },
        { "ar", ["الاتجار", "ضحي", "ضحا", "الشرطة", "منظمة", "الخط الساخن", "استغلال"] },
    };

    [Theory]
    [MemberData(nameof(TellTaleWords))]
    public void Default_wording_is_discreet_in_every_language(string language, string[] words)
    {
        // A caller's phone may be read by the person exploiting them.
        var texts = CallerTexts.Load(ShippedFolder);
        var all = string.Join(' ', Enum.GetValues<CallerText>().Select(t => texts.Get(language, t))).ToLowerInvariant();
        // At the start of a word ("ong" is not in "long"); Chinese has no spaces between words.
        var boundary = language == "zh" ? string.Empty : @"(?<!\p{L})";
        Assert.All(words, word => Assert.DoesNotMatch(boundary + System.Text.RegularExpressions.Regex.Escape(word), all));
    }

    [Fact]
    public void Placeholders_are_filled_and_the_language_menu_lists_each_language_in_its_own_name()
    {
        var texts = CallerTexts.Load(ShippedFolder);

        var ack = texts.Get("ro", CallerText.Acknowledgement, new Dictionary<string, string> { ["Language"] = texts.LanguageName("ro") });
        Assert.Contains("Română", ack, StringComparison.Ordinal);
        Assert.DoesNotContain("{", ack, StringComparison.Ordinal);
        Assert.Contains("LANG", ack, StringComparison.Ordinal);

        var menu = texts.LanguageMenu("uk", ["ro", "uk", "ar"]);
        Assert.Contains("RO Română", menu, StringComparison.Ordinal);
        Assert.Contains("UK Українська", menu, StringComparison.Ordinal);
        Assert.Contains("AR العربية", menu, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_language_falls_back_to_English()
    {
        var texts = CallerTexts.Load(ShippedFolder);
        Assert.Equal(texts.Get("en", CallerText.Help), texts.Get("tr", CallerText.Help));
    }

    [Fact]
    public void An_edited_file_is_picked_up_without_a_rebuild_and_a_broken_one_is_refused_by_name()
    {
        var folder = Directory.CreateTempSubdirectory("hotline-texts-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(ShippedFolder))
            {
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            }

            var ro = Path.Combine(folder, "ro.json");
            File.WriteAllText(ro, File.ReadAllText(ro).Replace("\"Help\": \"", "\"Help\": \"EDITAT. ", StringComparison.Ordinal));
            Assert.StartsWith("EDITAT. ", CallerTexts.Load(folder).Get("ro", CallerText.Help), StringComparison.Ordinal);

            File.WriteAllText(ro, File.ReadAllText(ro).Replace("{Language}", "{Limba}", StringComparison.Ordinal));
            var e = Assert.Throws<CallerTextsException>(() => CallerTexts.Load(folder));
            Assert.Contains("ro.json", e.Message, StringComparison.Ordinal);
            Assert.Contains("{Language}", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

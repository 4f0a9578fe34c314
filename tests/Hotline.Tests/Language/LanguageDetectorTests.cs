using Hotline.Language;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Language;

public sealed class LanguageDetectorTests
{
    private static readonly string EvalFolder = Path.Combine(TestEnvironment.RepoRoot, "bench", "language", "eval");
    private static readonly string CorpusFolder = Path.Combine(TestEnvironment.RepoRoot, "src", "Hotline.Core", "Language", "Corpus");

    [Fact]
    public void Held_out_short_texts_are_detected_with_at_least_95_percent_accuracy()
    {
        var detector = LanguageDetector.Default;
        int total = 0, correct = 0;
        var perLanguage = new List<string>();
        foreach (var language in LanguageDetector.Shipped)
        {
            var lines = EvalLines(language);
            var right = lines.Count(l => detector.Detect(l).Language == language);
            perLanguage.Add($"{language} {right}/{lines.Count}");
            total += lines.Count;
            correct += right;
        }

        var accuracy = (double)correct / total;
        Assert.True(accuracy >= 0.95, $"accuracy {accuracy:P1}: {string.Join(", ", perLanguage)}");
    }

    [Fact]
    public void The_evaluation_set_is_held_out_from_training()
    {
        foreach (var language in LanguageDetector.Shipped)
        {
            var training = File.ReadAllLines(Path.Combine(CorpusFolder, language + ".txt"))
                .Select(Canonical).ToHashSet(StringComparer.Ordinal);
            var eval = EvalLines(language);
            Assert.True(eval.Count >= 100, $"{language}: at least 100 evaluation texts");
            Assert.All(eval, line => Assert.DoesNotContain(Canonical(line), training));
        }
    }

    [Fact]
    public void Evaluation_texts_are_short_messages()
    {
        foreach (var language in LanguageDetector.Shipped)
        {
            var (min, max) = (20, 160);
            Assert.All(EvalLines(language), line => Assert.InRange(line.Length, min, max));
        }
    }

    [Theory]
    [InlineData("buna ziua, am nevoie de ajutor, nu ma lasa sa plec", "ro")]
    [InlineData("Доброго дня, мені потрібна допомога, я не можу піти", "uk")]
    [InlineData("Здравствуйте, мне нужна помощь, мне не платят", "ru")]
    [InlineData("Здравейте, имам нужда от помощ, не ми плащат", "bg")]
    [InlineData("Dobar dan, treba mi pomoć, gazda mi je uzeo pasoš", "sr")]
    [InlineData("Добар дан, треба ми помоћ, газда ми је узео пасош", "sr")]
    [InlineData("我需要帮助，老板不给我工资", "zh")]
    [InlineData("مرحبا، أحتاج إلى مساعدة، صاحب العمل أخذ جوازي", "ar")]
    public void Detects_a_first_message(string text, string expected)
    {
        Assert.Equal(expected, LanguageDetector.Default.Detect(text).Language);
    }

    [Fact]
    public void Detection_can_be_limited_to_the_languages_a_hotline_serves()
    {
        var guess = LanguageDetector.Default.Detect("Здравейте, имам нужда от помощ", among: ["ru", "uk"]);
        Assert.Contains(guess.Language, new[] { "ru", "uk" });
    }

    private static List<string> EvalLines(string language) =>
        File.ReadAllLines(Path.Combine(EvalFolder, language + ".txt")).Where(l => l.Trim().Length > 0).ToList();

    private static string Canonical(string line) => LanguageDetector.Normalize(line).Trim();
}

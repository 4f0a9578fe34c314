using Hotline.Callbacks;
using Hotline.Language;
using Hotline.Messaging;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Chat;

/// <summary>The callback form's texts, in every shipped language.</summary>
public sealed class ChatCallbackTextsTests
{
    private static readonly string ShippedFolder = Path.Combine(TestEnvironment.RepoRoot, "functions", "Texts");

    [Fact]
    public void Every_language_says_her_times_back_and_every_example_it_shows_for_when_is_understood_in_that_language()
    {
        var texts = CallerTexts.Load(ShippedFolder);
        var parser = new SafeWindowParser(SafeTimeWords.LoadAll(Path.Combine(ShippedFolder, "TimeWords")));
        var now = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero); // a Tuesday morning: every example has time ahead
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Bucharest");

        foreach (var language in LanguageDetector.Shipped)
        {
            Assert.Contains("{Windows}", texts.Get(language, CallerText.ChatCallbackSent), StringComparison.Ordinal);

            // "For example: after 20, 18-20, tomorrow morning."
            var hint = texts.Get(language, CallerText.ChatCallbackWhenHint);
            var examples = hint[(hint.IndexOfAny([':', '：']) + 1)..].TrimEnd('.', '。')
                .Split([',', '，', '،'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            Assert.True(examples.Length >= 2, $"{language}: '{hint}'");
            Assert.All(examples, example => Assert.True(parser.Parse(example, language, zone, now).Understood, $"{language}: '{example}'"));
        }
    }
}

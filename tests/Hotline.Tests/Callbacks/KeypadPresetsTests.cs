using Hotline.Callbacks;

namespace Hotline.Tests.Callbacks;

public sealed class KeypadPresetsTests
{
    private static readonly SafeWindowParser Parser = new(SafeWindowParserTests.Shipped);
    private static readonly DateTimeOffset Now = SafeWindowParserTests.Now;
    private static readonly TimeZoneInfo Zone = SafeWindowParserTests.Bucharest;

    [Theory]
    [InlineData('1', "morning")]
    [InlineData('2', "afternoon")]
    [InlineData('3', "evening")]
    [InlineData('4', "any time")]
    public void Each_default_key_means_what_its_words_mean(char key, string words)
    {
        var presets = new KeypadPresets(Parser);
        var expected = Parser.Parse(words, "en", Zone, Now).Windows;
        Assert.NotEmpty(expected);
        Assert.Equal(expected, presets.Windows(key, Zone, Now)!.Windows);
    }

    [Fact]
    public void The_evening_key_gives_17_to_21_each_day_from_today()
    {
        var windows = new KeypadPresets(Parser).Windows('3', Zone, Now)!.Windows;
        Assert.Equal(7, windows.Count);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 15, 0, 0, TimeSpan.Zero), windows[0].Start);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 19, 0, 0, TimeSpan.Zero), windows[0].End);
    }

    [Fact]
    public void Presets_are_configurable_and_a_key_not_offered_has_none()
    {
        var presets = new KeypadPresets(Parser, new Dictionary<char, string> { ['1'] = "18-20", ['2'] = "weekend" });
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 16, 0, 0, TimeSpan.Zero), presets.Windows('1', Zone, Now)!.Windows[0].Start);
        Assert.Equal(new DateTimeOffset(2026, 12, 5, 6, 0, 0, TimeSpan.Zero), presets.Windows('2', Zone, Now)!.Windows[0].Start);
        Assert.Null(presets.Windows('3', Zone, Now));
        Assert.Equal(['1', '2'], presets.Keys.Select(k => k.Key));
    }

    [Fact]
    public void A_preset_that_is_not_a_time_or_not_a_digit_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new KeypadPresets(Parser, new Dictionary<char, string> { ['1'] = "call me please" }));
        Assert.Throws<ArgumentException>(() => new KeypadPresets(Parser, new Dictionary<char, string> { ['1'] = "hello" }));
        Assert.Throws<ArgumentException>(() => new KeypadPresets(Parser, new Dictionary<char, string> { ['*'] = "morning" }));
    }
}

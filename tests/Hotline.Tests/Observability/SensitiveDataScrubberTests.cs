using Hotline.Privacy;

namespace Hotline.Tests.Observability;

public sealed class SensitiveDataScrubberTests
{
    [Theory]
    [InlineData("+40721234567")]
    [InlineData("40721234567")]
    [InlineData("+40 721 234 567")]
    [InlineData("0040 721-234-567")]
    [InlineData("(0721) 234.567")]
    [InlineData("+1 (415) 867-5309")]
    [InlineData("07 21 23 45 67")]
    [InlineData("+380\u00A0501234567")]
    public void Masks_phone_numbers_in_any_common_format(string number)
    {
        var scrubbed = SensitiveDataScrubber.Scrub($"caller {number} wrote");
        Assert.Equal($"caller {SensitiveDataScrubber.PhoneMask} wrote", scrubbed);
    }

    [Fact]
    public void Masks_a_number_glued_to_text()
    {
        Assert.DoesNotContain("0721234567", SensitiveDataScrubber.Scrub("from=0721234567&x=1"), StringComparison.Ordinal);
        Assert.DoesNotContain("40721234567", SensitiveDataScrubber.Scrub("caller40721234567"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("invocation 3f2504e0-4f89-11d3-9a0c-0305e82c3301 done")]
    [InlineData("trace 0af7651916cd43dd8448eb211c80319c")]
    [InlineData("message SM1234567890abcdef1234567890abcdef")]
    [InlineData("at 2026-11-22T03:05:00.1234567Z")]
    [InlineData("took 250 ms on port 10001")]
    public void Keeps_identifiers_and_times_operators_need(string text)
    {
        Assert.Equal(text, SensitiveDataScrubber.Scrub(text));
    }

    [Fact]
    public void SensitiveText_never_prints_itself()
    {
        var text = new SensitiveText("I am held at the farm, call +40721234567");
        Assert.Equal(SensitiveDataScrubber.TextMask, text.ToString());
        Assert.Equal(SensitiveDataScrubber.TextMask, $"{text}");
        Assert.StartsWith("I am held", text.Reveal(), StringComparison.Ordinal);
    }
}

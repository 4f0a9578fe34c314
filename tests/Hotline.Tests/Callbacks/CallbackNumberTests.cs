using Hotline.Callbacks;

namespace Hotline.Tests.Callbacks;

public sealed class CallbackNumberTests
{
    private const string Own = "+40 721 000 111";

    [Theory]
    [InlineData("0722 123 456", "RO", "+40722123456")]
    [InlineData("0722-123-456", "RO", "+40722123456")]
    [InlineData("+40 722 123 456", "BG", "+40722123456")]
    [InlineData("0040722123456", "GB", "+40722123456")]
    [InlineData("021 312 3456", "RO", "+40213123456")]
    [InlineData("088 812 3456", "BG", "+359888123456")]
    [InlineData("+44 7911 123456", "RO", "+447911123456")]
    public void A_number_in_national_or_international_form_comes_out_in_E164(string input, string region, string e164)
    {
        var reading = CallbackNumber.Read(input, region, Own);
        Assert.Null(reading.Problem);
        Assert.Equal(e164, reading.E164);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("same")]
    [InlineData("This one.")]
    public void Nothing_or_same_means_her_own_number(string? input) =>
        Assert.Equal("+40721000111", CallbackNumber.Read(input, "RO", Own).E164);

    [Fact]
    public void Her_own_language_words_for_same_are_understood()
    {
        var ro = SafeWindowParserTests.Shipped["ro"].Words[TimeWord.OwnNumber];
        Assert.Equal("+40721000111", CallbackNumber.Read("Același", "RO", Own, ro).E164);
        Assert.False(CallbackNumber.Read("Același", "RO", Own).IsValid); // without them it is not a number
    }

    [Fact]
    public void Same_without_a_number_of_her_own_asks_for_one()
    {
        var reading = CallbackNumber.Read("same", "RO", null);
        Assert.False(reading.IsValid);
        Assert.Contains("no number", reading.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("123", "too short")]
    [InlineData("0722 12", "too short")]
    [InlineData("call me later", "not a phone number")]
    [InlineData("0722 123 456 789 123 456", "too long")]
    [InlineData("0900 123 456", "not a mobile or home phone")] // Romanian premium rate
    [InlineData("0800 123 456", "not a mobile or home phone")] // Romanian toll-free
    [InlineData("0122 123 456", "not a phone number in use")]
    [InlineData("+999 123 456 789", "country code")]
    public void A_number_that_cannot_be_called_is_refused_in_plain_words(string input, string reason)
    {
        var reading = CallbackNumber.Read(input, "RO", Own);
        Assert.Null(reading.E164);
        Assert.Contains(reason, reading.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain("123", reading.Problem, StringComparison.Ordinal);
    }
}

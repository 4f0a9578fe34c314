using Hotline.Escalations;

namespace Hotline.Tests.Escalations;

public sealed class DurationWordsTests
{
    [Theory]
    [InlineData("00:01:00", "1 minute")]
    [InlineData("00:15:00", "15 minutes")]
    [InlineData("00:00:30", "30 seconds")]
    [InlineData("00:01:30", "1 minute 30 seconds")]
    [InlineData("01:00:00", "1 hour")]
    [InlineData("02:30:00", "2 hours 30 minutes")]
    [InlineData("1.00:00:00", "1 day")]
    public void A_deadline_reads_as_people_say_it(string duration, string words) =>
        Assert.Equal(words, DurationWords.Of(TimeSpan.Parse(duration, System.Globalization.CultureInfo.InvariantCulture)));
}

using System.Text.Json;
using Hotline.Privacy;
using Hotline.Roster;

namespace Hotline.Tests.Roster;

/// <summary>A counsellor's phone: brought to E.164, refused when malformed, and never printed or serialized in full.</summary>
public sealed class StaffPhoneNumberTests
{
    [Theory]
    [InlineData("+44 7700 900123")]
    [InlineData("0044 (7700) 900-123")]
    [InlineData(" +447700900123 ")]
    public void A_number_in_international_form_is_brought_to_E164(string typed)
    {
        Assert.True(StaffPhoneNumber.TryParse(typed, out var number, out _));
        Assert.Equal("+447700900123", number.Reveal());
        Assert.Equal(StaffPhoneNumber.Parse("+447700900123"), number);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("07700 900456", "international form")]
    [InlineData("+44 7700 900456 ext 5", "only digits")]
    [InlineData("+44 77", "too short")]
    [InlineData("+44 7700 900456 4", "too long")]
    [InlineData("+999 900456", "country code")]
    public void A_malformed_number_is_refused_with_a_reason_that_does_not_repeat_it(string typed, string reason)
    {
        Assert.False(StaffPhoneNumber.TryParse(typed, out _, out var problem));
        Assert.Contains(reason, problem, StringComparison.Ordinal);
        Assert.DoesNotContain("900456", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_number_never_prints_itself_and_a_counsellor_logged_or_serialized_shows_only_the_last_four_digits()
    {
        var counsellor = new Counsellor("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 2)
        {
            Phone = StaffPhoneNumber.Parse("+44 7700 900123"),
            TakesCallsOnPhone = true,
        };

        Assert.Equal("•••• 0123", counsellor.Phone.Masked);
        Assert.Equal("•••• 0123", $"{counsellor.Phone}");
        foreach (var text in new[] { counsellor.ToString(), JsonSerializer.Serialize(counsellor) })
        {
            Assert.DoesNotContain("7700900", text.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        }

        Assert.Contains("0123", counsellor.ToString(), StringComparison.Ordinal);
    }
}

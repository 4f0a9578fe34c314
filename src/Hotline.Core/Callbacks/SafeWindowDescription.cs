using System.Globalization;

namespace Hotline.Callbacks;

public sealed partial class SafeWindowParser
{
    /// <summary>How many days in a row with the same hours are said as "every day … until …".</summary>
    private const int EveryDayRun = 3;

    /// <summary>
    /// Her windows in a few words of her language, on her clock, for the confirmation she can correct: "today
    /// 20:00–22:00, tomorrow 20:00–22:00", or "every day 20:00–22:00 until 7 Dec" when the same hours repeat. The
    /// short forms read back through <see cref="Parse"/> as the same windows.
    /// </summary>
    public string Describe(IReadOnlyList<SafeWindow> windows, string language, TimeZoneInfo zone, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(zone);
        var words = WordsFor(language);
        var culture = words.Culture;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);

        string Label(DateOnly day) =>
            day == today ? words.TodayLabel
            : day == today.AddDays(1) ? words.TomorrowLabel
            : day.ToString("ddd d MMM", culture);

        string Date(DateOnly day) => day.ToString("d MMM", culture);

        // Each local day with its hours, in order.
        var days = new List<(DateOnly Day, string Times)>();
        foreach (var w in Merge(windows))
        {
            var start = TimeZoneInfo.ConvertTime(w.Start, zone).DateTime;
            var end = TimeZoneInfo.ConvertTime(w.End, zone).DateTime;
            var startDay = DateOnly.FromDateTime(start);
            var times = end - start <= TimeSpan.FromDays(1)
                ? $"{start:HH:mm}–{end:HH:mm}"
                : $"{start:HH:mm} – {Label(DateOnly.FromDateTime(end))} {end:HH:mm}";
            if (days.Count > 0 && days[^1].Day == startDay)
            {
                days[^1] = (startDay, days[^1].Times + ", " + times);
            }
            else
            {
                days.Add((startDay, times));
            }
        }

        var parts = new List<string>();
        for (var i = 0; i < days.Count;)
        {
            var run = 1;
            while (i + run < days.Count && days[i + run].Times == days[i].Times && days[i + run].Day == days[i].Day.AddDays(run))
            {
                run++;
            }

            if (run >= EveryDayRun)
            {
                var template = i == 0 && days[i].Day <= today.AddDays(1) ? words.EveryDayUntil : words.EveryDayFromUntil;
                parts.Add(template
                    .Replace("{Times}", days[i].Times, StringComparison.Ordinal)
                    .Replace("{Start}", Label(days[i].Day), StringComparison.Ordinal)
                    .Replace("{End}", Date(days[i + run - 1].Day), StringComparison.Ordinal));
                i += run;
            }
            else
            {
                parts.Add($"{Label(days[i].Day)} {days[i].Times}");
                i++;
            }
        }

        return string.Join(", ", parts);
    }
}

using Hotline.Callbacks;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Callbacks;

public sealed class SafeWindowParserTests
{
    internal static readonly string ShippedFolder = Path.Combine(TestEnvironment.RepoRoot, "functions", "Texts", "TimeWords");
    internal static readonly IReadOnlyDictionary<string, SafeTimeWords> Shipped = SafeTimeWords.LoadAll(ShippedFolder);

    internal static readonly TimeZoneInfo Bucharest = TimeZoneInfo.FindSystemTimeZoneById("Europe/Bucharest");
    private static readonly TimeSpan Winter = TimeSpan.FromHours(2);

    // Monday 30 Nov 2026, 12:00 in Bucharest (UTC+2, no DST change in sight); the horizon ends Mon 7 Dec 12:00.
    internal static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, Winter);

    private readonly SafeWindowParser _parser = new(Shipped);

    private static DateTimeOffset At(int day, int hour, int minute = 0) =>
        day <= 30 ? new DateTimeOffset(2026, 11, day, hour, minute, 0, Winter) : new DateTimeOffset(2026, 12, day - 30, hour, minute, 0, Winter);

    // Windows on Nov 30 (day 30) … Dec 7 (day 37), local hours.
    private static SafeWindow W(int day, int startHour, int endHour, int startMinute = 0, int endMinute = 0) =>
        new(At(day, startHour, startMinute), At(day, endHour, endMinute));

    private static List<SafeWindow> Daily(int fromDay, int toDay, int startHour, int endHour, int endMinute = 0) =>
        Enumerable.Range(fromDay, toDay - fromDay + 1).Select(d => W(d, startHour, endHour, 0, endMinute)).ToList();

    private IReadOnlyList<SafeWindow> Windows(string text, string language = "en", DateTimeOffset? now = null)
    {
        var reading = _parser.Parse(text, language, Bucharest, now ?? Now);
        Assert.True(reading.Understood, $"'{text}' ({language}) not understood: {reading.Problem}");
        return reading.Windows;
    }

    [Theory]
    [InlineData("20-22")]
    [InlineData("20:00-22:00")]
    [InlineData("20.00 – 22.00")]
    [InlineData("8-10pm")]
    [InlineData("8pm-10pm")]
    [InlineData("8 to 10 pm")]
    [InlineData("from 8 to 10 p.m.")]
    [InlineData("between 8 and 10 pm")]
    [InlineData("20h-22h")]
    [InlineData("please call 20-22, thanks")]
    public void A_clock_range_repeats_daily_over_the_horizon(string text) =>
        Assert.Equal(Daily(30, 36, 20, 22), Windows(text));

    [Fact]
    public void Minutes_are_kept() =>
        Assert.Equal(Daily(30, 36, 20, 22, endMinute: 30), Windows("20:00-22:30"));

    [Fact]
    public void A_range_past_midnight_ends_the_next_day()
    {
        var windows = Windows("22-2");
        Assert.Equal(new SafeWindow(At(30, 22), At(31, 2)), windows[0]);

        // At 01:00 the window begun yesterday is open: it starts now.
        var late = new DateTimeOffset(2026, 12, 1, 1, 0, 0, Winter);
        Assert.Equal(new SafeWindow(late.ToUniversalTime(), At(31, 2)), Windows("22-2", now: late)[0]);
    }

    [Theory]
    [InlineData("after 8 pm")]
    [InlineData("after 20")]
    [InlineData("from 20")]
    [InlineData("after 20:00")]
    public void After_a_time_lasts_to_the_end_of_the_waking_day(string text) =>
        Assert.Equal(Daily(30, 36, 20, 23), Windows(text));

    [Fact]
    public void Before_a_time_starts_at_the_waking_day_and_todays_past_one_is_dropped() =>
        Assert.Equal(Daily(31, 37, 8, 9), Windows("before 9"));

    [Theory]
    [InlineData("morning", 8, 12)]
    [InlineData("evening", 17, 21)]
    [InlineData("at night", 21, 23)]
    public void Parts_of_the_day_have_their_default_hours(string text, int start, int end)
    {
        var windows = Windows(text);
        var firstDay = start < 12 ? 31 : 30;
        var lastDay = end <= 12 ? 37 : 36;
        Assert.Equal(Daily(firstDay, lastDay, start, end), windows);
    }

    [Fact]
    public void A_window_already_begun_starts_now_and_one_at_the_horizon_is_cut()
    {
        var windows = Windows("afternoon");
        Assert.Equal(new SafeWindow(Now.ToUniversalTime(), At(30, 17)), windows[0]);
        Assert.Equal(W(36, 12, 17), windows[^1]); // Dec 7 12:00 is the horizon itself
        Assert.Equal(7, windows.Count);
    }

    [Fact]
    public void Part_of_day_hours_are_configurable()
    {
        var parser = new SafeWindowParser(Shipped, new SafeWindowHours { Evening = DayHours.Of(18, 22) });
        Assert.Equal(Daily(30, 36, 18, 22), parser.Parse("evening", "en", Bucharest, Now).Windows);
    }

    [Fact]
    public void An_evening_word_makes_bare_hours_pm() =>
        Assert.Equal(Daily(30, 36, 20, 22), Windows("8-10 in the evening"));

    [Fact]
    public void Days_alone_mean_the_waking_day()
    {
        Assert.Equal([new SafeWindow(Now.ToUniversalTime(), At(30, 23))], Windows("today"));
        Assert.Equal([W(31, 8, 23)], Windows("tomorrow"));
        Assert.Equal([W(35, 8, 23), W(36, 8, 23)], Windows("weekend"));
    }

    [Fact]
    public void Days_and_times_combine()
    {
        Assert.Equal([W(31, 8, 12)], Windows("tomorrow morning"));
        Assert.Equal([W(32, 18, 20)], Windows("wednesday 18-20"));
        Assert.Equal([W(30, 18, 20)], Windows("monday 18-20")); // next Monday's is past the horizon
        Assert.Equal(Daily(30, 34, 20, 23), Windows("weekdays after 8 pm"));
        Assert.Equal([W(30, 17, 23)], Windows("tonight"));
    }

    [Fact]
    public void Each_day_keeps_its_own_times() =>
        Assert.Equal([W(31, 18, 20), W(35, 8, 12)], Windows("tomorrow 18-20 and saturday morning"));

    [Fact]
    public void Now_and_any_time_start_now()
    {
        Assert.Equal([new SafeWindow(Now.ToUniversalTime(), Now.ToUniversalTime().AddHours(2))], Windows("now"));
        Assert.Equal([new SafeWindow(Now.ToUniversalTime(), Now.ToUniversalTime().AddDays(7))], Windows("any time"));
    }

    [Fact]
    public void Overlapping_and_touching_windows_are_merged_and_sorted()
    {
        Assert.Equal(Daily(30, 36, 18, 21), Windows("19-21 and 18-20"));
        Assert.Equal(Daily(30, 36, 17, 23), Windows("night, evening"));
    }

    [Theory]
    [InlineData("20-22")]
    [InlineData("morning")]
    [InlineData("tomorrow 18-20")]
    [InlineData("now")]
    [InlineData("any time")]
    [InlineData("22-2")]
    [InlineData("weekdays after 8 pm")]
    public void No_window_is_ever_in_the_past_or_beyond_the_horizon(string text)
    {
        foreach (var now in new[] { Now, Now.AddHours(9.5), Now.AddHours(13.25), Now.AddDays(3) })
        {
            var windows = Windows(text, now: now);
            Assert.All(windows, w => Assert.True(w.Start >= now && w.End <= now.AddDays(7) && w.End > w.Start, $"{text} at {now}: {w}"));
            Assert.All(windows, w => Assert.Equal(TimeSpan.Zero, w.Start.Offset));
            Assert.Equal(windows.OrderBy(w => w.Start), windows);
        }
    }

    [Fact]
    public void Words_for_a_time_already_gone_are_understood_but_leave_nothing()
    {
        var reading = _parser.Parse("today morning", "en", Bucharest, Now);
        Assert.Equal(SafeWindowProblem.NoTimeLeft, reading.Problem);
        Assert.Empty(reading.Windows);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello, can you help me")]
    [InlineData("0722123456")]
    [InlineData("25-27")]
    [InlineData("after 19:75")]
    public void Words_without_a_day_or_time_are_not_understood(string text) =>
        Assert.Equal(SafeWindowProblem.NotUnderstood, _parser.Parse(text, "en", Bucharest, Now).Problem);

    [Fact]
    public void On_the_spring_DST_day_20_00_is_20_00_on_her_clock()
    {
        // Bucharest moves from UTC+2 to UTC+3 at 03:00 on Sunday 29 March 2026.
        var now = new DateTimeOffset(2026, 3, 28, 10, 0, 0, TimeSpan.Zero);
        var windows = _parser.Parse("20-22", "en", Bucharest, now, TimeSpan.FromDays(2)).Windows;
        Assert.Equal(
            [
                new SafeWindow(new(2026, 3, 28, 18, 0, 0, TimeSpan.Zero), new(2026, 3, 28, 20, 0, 0, TimeSpan.Zero)),
                new SafeWindow(new(2026, 3, 29, 17, 0, 0, TimeSpan.Zero), new(2026, 3, 29, 19, 0, 0, TimeSpan.Zero)),
            ],
            windows);

        // 03:30 does not exist that night: the window starts when the clocks jump to 04:00 (01:00 UTC).
        var night = _parser.Parse("sunday 03:30-05:00", "en", Bucharest, now).Windows;
        Assert.Equal([new SafeWindow(new(2026, 3, 29, 1, 0, 0, TimeSpan.Zero), new(2026, 3, 29, 2, 0, 0, TimeSpan.Zero))], night);
    }

    [Fact]
    public void On_the_autumn_DST_day_20_00_is_20_00_on_her_clock()
    {
        // Bucharest moves from UTC+3 back to UTC+2 at 04:00 on Sunday 25 October 2026.
        var now = new DateTimeOffset(2026, 10, 24, 9, 0, 0, TimeSpan.Zero);
        var windows = _parser.Parse("after 20", "en", Bucharest, now, TimeSpan.FromDays(2)).Windows;
        Assert.Equal(new SafeWindow(new(2026, 10, 24, 17, 0, 0, TimeSpan.Zero), new(2026, 10, 24, 20, 0, 0, TimeSpan.Zero)), windows[0]);
        Assert.Equal(new SafeWindow(new(2026, 10, 25, 18, 0, 0, TimeSpan.Zero), new(2026, 10, 25, 21, 0, 0, TimeSpan.Zero)), windows[1]);

        // 02:00–05:00 that night lasts four hours: 03:00–04:00 happens twice.
        var night = _parser.Parse("sunday 2-5", "en", Bucharest, now).Windows;
        Assert.Equal(TimeSpan.FromHours(4), night.Single().End - night.Single().Start);
    }

    [Fact]
    public void Windows_are_worked_out_in_her_own_zone()
    {
        var madrid = TimeZoneInfo.FindSystemTimeZoneById("Europe/Madrid"); // UTC+1 in winter
        var windows = _parser.Parse("tomorrow 20-22", "en", madrid, Now).Windows;
        Assert.Equal([new SafeWindow(new(2026, 12, 1, 19, 0, 0, TimeSpan.Zero), new(2026, 12, 1, 21, 0, 0, TimeSpan.Zero))], windows);
    }

    // "Tomorrow morning", "Saturday after 18" and "18 to 20" in each language, as a caller might type them (some
    // without diacritics).
    [Theory]
    [InlineData("en", "tomorrow morning", "saturday after 18", "from 18 to 20")]
    [InlineData("ro", "mâine dimineață", "sâmbătă după ora 18", "de la 18 la 20")]
    [InlineData("ro", "maine dimineata", "sambata dupa 18", "intre 18 si 20")]
    [InlineData("bg", "утре сутрин", "събота след 18", "от 18 до 20")]
    [InlineData("uk", "завтра вранці", "субота після 18", "з 18 до 20")]
    [InlineData("ru", "завтра утром", "в субботу после 18", "с 18 до 20")]
    [InlineData("es", "mañana por la mañana", "sábado después de las 18", "de 18 a 20")]
    [InlineData("fr", "demain matin", "samedi après 18h", "de 18h à 20h")]
    public void Each_language_is_understood(string language, string tomorrowMorning, string saturdayAfter18, string range)
    {
        Assert.Equal([W(31, 8, 12)], Windows(tomorrowMorning, language));
        Assert.Equal([W(35, 18, 23)], Windows(saturdayAfter18, language));
        Assert.Equal(Daily(30, 36, 18, 20), Windows(range, language));
    }

    [Theory]
    [InlineData("ro", "seara")]
    [InlineData("bg", "вечерта")]
    [InlineData("uk", "ввечері")]
    [InlineData("ru", "вечером")]
    [InlineData("fr", "le soir")]
    [InlineData("en", "evening")]
    public void Each_language_has_the_evening(string language, string evening) =>
        Assert.Equal(Daily(30, 36, 17, 21), Windows(evening, language));

    [Fact]
    public void Describe_says_a_daily_window_once()
    {
        var windows = Windows("20-22");
        Assert.Equal("every day 20:00–22:00 until 6 Dec", _parser.Describe(windows, "en", Bucharest, Now));
    }

    [Fact]
    public void Describe_names_today_tomorrow_and_other_days()
    {
        var windows = Windows("today 18-20, tomorrow 18-20 and saturday morning");
        Assert.Equal("today 18:00–20:00, tomorrow 18:00–20:00, Sat 5 Dec 08:00–12:00", _parser.Describe(windows, "en", Bucharest, Now));
        Assert.Equal("azi 18:00–20:00, mâine 18:00–20:00", _parser.Describe(windows.Take(2).ToList(), "ro", Bucharest, Now));
    }

    [Fact]
    public void Describe_says_from_when_a_daily_run_starts_later()
    {
        var windows = Windows("today 13-14, thursday friday saturday 18-20");
        Assert.Equal("today 13:00–14:00, every day 18:00–20:00 from Thu 3 Dec until 5 Dec", _parser.Describe(windows, "en", Bucharest, Now));
    }

    public static TheoryData<string, string> RoundTrips()
    {
        var data = new TheoryData<string, string>();
        foreach (var language in new[] { "en", "ro", "bg", "uk", "ru", "es", "fr" })
        {
            foreach (var text in new[] { "20-22", "tomorrow morning", "weekdays after 8 pm", "today 18-20, tomorrow 9-11 and saturday morning", "22-2", "morning, evening", "today 13-14, thursday friday saturday 18-20" })
            {
                data.Add(language, text);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void What_Describe_says_reads_back_as_the_same_windows(string language, string text)
    {
        var windows = Windows(text);
        var described = _parser.Describe(windows, language, Bucharest, Now);
        Assert.Equal(windows, Windows(described, language));
    }
}

using System.Globalization;
using System.Text.RegularExpressions;

namespace Hotline.Callbacks;

/// <summary>A stretch of the day in local hours, e.g. 17:00–21:00; the end may pass midnight (up to 48:00).</summary>
public sealed record DayHours(TimeSpan Start, TimeSpan End)
{
    public static DayHours Of(int startHour, int endHour) => new(TimeSpan.FromHours(startHour), TimeSpan.FromHours(endHour));
}

/// <summary>The hours behind the words: parts of the day, and the waking day that bounds "after 8" and "before 9".</summary>
public sealed record SafeWindowHours
{
    public DayHours Morning { get; init; } = DayHours.Of(8, 12);
    public DayHours Afternoon { get; init; } = DayHours.Of(12, 17);
    public DayHours Evening { get; init; } = DayHours.Of(17, 21);
    public DayHours Night { get; init; } = DayHours.Of(21, 23);

    /// <summary>A day named without hours ("tomorrow") means these; "after 20" ends, and "before 9" starts, at its edges.</summary>
    public DayHours Waking { get; init; } = DayHours.Of(8, 23);

    /// <summary>How long "now" lasts.</summary>
    public TimeSpan Now { get; init; } = TimeSpan.FromHours(2);

    public DayHours For(TimeWord part) => part switch
    {
        TimeWord.Morning => Morning,
        TimeWord.Afternoon => Afternoon,
        TimeWord.Evening => Evening,
        TimeWord.Night => Night,
        _ => throw new ArgumentOutOfRangeException(nameof(part), part, "Not a part of the day."),
    };
}

/// <summary>What the caller's words came to: her windows, or why there are none.</summary>
public sealed record SafeWindowReading(IReadOnlyList<SafeWindow> Windows, SafeWindowProblem? Problem)
{
    public bool Understood => Problem is null;
}

public enum SafeWindowProblem
{
    /// <summary>No day or time in her words: ask her again, with examples.</summary>
    NotUnderstood,

    /// <summary>Understood, but every window she named is past or beyond the horizon ("this morning", in the afternoon).</summary>
    NoTimeLeft,
}

/// <summary>
/// Reads when it is safe to call a caller back from her own loose words ("after 8 pm", "20-22", "tomorrow morning",
/// "weekdays after 20", "луни 18-20"), in her language (and English, which many mix in), in her time zone, over the
/// days ahead until the request expires. Windows are worked out on her local clock, day by day, so a DST change day
/// still means 20:00 on her clock; they come back in UTC, merged and sorted, never in the past (one already begun
/// starts now), never beyond the horizon.
/// </summary>
public sealed partial class SafeWindowParser
{
    public static readonly TimeSpan DefaultHorizon = TimeSpan.FromDays(7);

    private readonly IReadOnlyDictionary<string, SafeTimeWords> _words;
    private readonly Dictionary<string, Lexicon> _lexicons = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();

    public SafeWindowParser(IReadOnlyDictionary<string, SafeTimeWords> words, SafeWindowHours? hours = null)
    {
        if (!words.ContainsKey(SafeTimeWords.FallbackLanguage))
        {
            throw new ArgumentException($"The words must include {SafeTimeWords.FallbackLanguage} (the fallback).", nameof(words));
        }

        _words = words;
        Hours = hours ?? new SafeWindowHours();
    }

    public SafeWindowHours Hours { get; }

    /// <summary>The words for <paramref name="language"/>, or English's.</summary>
    public SafeTimeWords WordsFor(string language) =>
        _words.TryGetValue(language, out var w) ? w : _words[SafeTimeWords.FallbackLanguage];

    /// <summary>
    /// Her safe windows from <paramref name="now"/> until <paramref name="now"/> + <paramref name="horizon"/>
    /// (<see cref="DefaultHorizon"/> if null), as she meant them in <paramref name="zone"/>.
    /// </summary>
    public SafeWindowReading Parse(string? text, string language, TimeZoneInfo zone, DateTimeOffset now, TimeSpan? horizon = null)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var end = now + (horizon ?? DefaultHorizon);
        var tokens = Lexicon.For(this, language).Tokenize(text ?? "", zone, now);
        if (!tokens.Any(t => t.Kind is Kind.Day or Kind.Part or Kind.Now or Kind.AnyTime or Kind.Time or Kind.Date))
        {
            return new SafeWindowReading([], SafeWindowProblem.NotUnderstood);
        }

        var windows = new List<SafeWindow>();
        foreach (var group in Groups(tokens))
        {
            if (!group.Resolve(Hours, out var intervals, out var isNow))
            {
                return new SafeWindowReading([], SafeWindowProblem.NotUnderstood);
            }

            if (isNow)
            {
                windows.Add(new SafeWindow(now, now + Hours.Now));
            }

            windows.AddRange(group.Windows(intervals, zone, now, end));
        }

        var merged = Merge(windows.Select(w => Clip(w, now, end)).OfType<SafeWindow>());
        return merged.Count > 0 ? new SafeWindowReading(merged, null) : new SafeWindowReading([], SafeWindowProblem.NoTimeLeft);
    }

    /// <summary>Sorted, overlapping or touching windows joined.</summary>
    public static IReadOnlyList<SafeWindow> Merge(IEnumerable<SafeWindow> windows)
    {
        var merged = new List<SafeWindow>();
        foreach (var w in windows.Where(w => w.End > w.Start).OrderBy(w => w.Start))
        {
            if (merged.Count > 0 && w.Start <= merged[^1].End)
            {
                merged[^1] = merged[^1] with { End = w.End > merged[^1].End ? w.End : merged[^1].End };
            }
            else
            {
                merged.Add(w);
            }
        }

        return merged;
    }

    /// <summary>The UTC instant of a local wall-clock time: in a DST gap, the moment the clocks jumped to; when a time happens twice, its first.</summary>
    public static DateTimeOffset ToInstant(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    private static SafeWindow? Clip(SafeWindow w, DateTimeOffset now, DateTimeOffset end)
    {
        var start = w.Start < now ? now : w.Start;
        var stop = w.End > end ? end : w.End;
        return stop > start ? new SafeWindow(start.ToUniversalTime(), stop.ToUniversalTime()) : null;
    }

    // A group is days with their times: "monday 18-20 friday morning" is two. A day after a group's times, or a time
    // after a group's days that followed its times, starts the next group.
    private static List<Group> Groups(List<Token> tokens)
    {
        var groups = new List<Group> { new() };
        for (var i = 0; i < tokens.Count; i++)
        {
            var g = groups[^1];
            var t = tokens[i];
            switch (t.Kind)
            {
                // "from Sat 5 Dec", "until 7 Dec": the group's first or last day, not a day of its own.
                case Kind.After or Kind.Before or Kind.To when DateAfter(tokens, i) is { } j:
                    if (t.Kind == Kind.After)
                    {
                        g.From = tokens[j].Date;
                    }
                    else
                    {
                        g.Until = tokens[j].Date;
                    }

                    i = j;
                    break;

                case Kind.Day or Kind.Date:
                    if (g.HasDays && g.HasTimes && g.LastWasTime)
                    {
                        g = new Group();
                        groups.Add(g);
                    }

                    g.AddDay(t);
                    break;

                case Kind.Part or Kind.Now or Kind.AnyTime or Kind.After or Kind.Before or Kind.Between or Kind.Time:
                    if (g.HasDays && g.HasTimes && !g.LastWasTime)
                    {
                        g = new Group();
                        groups.Add(g);
                    }

                    i = g.AddTime(tokens, i);
                    break;

            }
        }

        return groups.Where(g => g.HasDays || g.HasTimes).ToList();
    }

    // The index of the date right after tokens[i], a weekday name before it allowed ("Sat 5 Dec").
    private static int? DateAfter(List<Token> tokens, int i)
    {
        var j = i + 1 < tokens.Count && tokens[i + 1].Kind == Kind.Day ? i + 2 : i + 1;
        return j < tokens.Count && tokens[j].Kind == Kind.Date ? j : null;
    }

    private enum Kind
    {
        Day,
        Date,
        Part,
        Now,
        AnyTime,
        After,
        Before,
        To,
        Between,
        Am,
        Pm,
        Time,
    }

    private sealed record Token(int Position, Kind Kind)
    {
        public TimeWord Word { get; init; }
        public int Hour { get; init; }
        public int Minute { get; init; }
        public TimeWord? Meridiem { get; init; }
        public DateOnly Date { get; init; }
    }

    private abstract record TimeSpec;

    private sealed record PartSpec(TimeWord Part) : TimeSpec;

    private sealed record RangeSpec(Token From, Token To) : TimeSpec;

    private sealed record AfterSpec(Token At) : TimeSpec;

    private sealed record BeforeSpec(Token At) : TimeSpec;

    private sealed record AtSpec(Token At) : TimeSpec;

    private sealed record AnyTimeSpec : TimeSpec;

    private sealed record NowSpec : TimeSpec;

    private sealed class Group
    {
        private readonly List<Token> _days = [];
        private readonly List<TimeSpec> _times = [];

        public bool HasDays => _days.Count > 0;

        public bool HasTimes => _times.Count > 0;

        public bool LastWasTime { get; private set; }

        public DateOnly? From { get; set; }

        public DateOnly? Until { get; set; }

        public void AddDay(Token day)
        {
            if (day.Word == TimeWord.Tonight)
            {
                _days.Add(day with { Word = TimeWord.Today });
                _times.Add(new PartSpec(TimeWord.Evening));
                _times.Add(new PartSpec(TimeWord.Night));
            }
            else
            {
                _days.Add(day);
            }

            LastWasTime = false;
        }

        // Reads one time expression from tokens[i]; returns the index of its last token.
        public int AddTime(List<Token> tokens, int i)
        {
            LastWasTime = true;
            Token? At(int j) => j < tokens.Count && tokens[j].Kind == Kind.Time ? tokens[j] : null;
            bool Joins(int j) => j < tokens.Count && tokens[j].Kind is Kind.To or Kind.Before;

            var t = tokens[i];
            switch (t.Kind)
            {
                case Kind.Part:
                    _times.Add(new PartSpec(t.Word));
                    return i;
                case Kind.Now:
                    _times.Add(new NowSpec());
                    return i;
                case Kind.AnyTime:
                    _times.Add(new AnyTimeSpec());
                    return i;
                case Kind.Time when Joins(i + 1) && At(i + 2) is { } end:
                    _times.Add(new RangeSpec(t, end));
                    return i + 2;
                case Kind.Time:
                    _times.Add(new AtSpec(t));
                    return i;
                case Kind.After when At(i + 1) is { } from:
                    if (Joins(i + 2) && At(i + 3) is { } to)
                    {
                        _times.Add(new RangeSpec(from, to));
                        return i + 3;
                    }

                    _times.Add(new AfterSpec(from));
                    return i + 1;
                case Kind.Before when At(i + 1) is { } until:
                    _times.Add(new BeforeSpec(until));
                    return i + 1;
                case Kind.Between when At(i + 1) is { } from:
                    // "between 8 and 10": whatever word joins them.
                    var k = At(i + 2) is null ? i + 3 : i + 2;
                    if (At(k) is { } to2)
                    {
                        _times.Add(new RangeSpec(from, to2));
                        return k;
                    }

                    _times.Add(new AfterSpec(from));
                    return i + 1;
                default:
                    LastWasTime = HasTimes;
                    return i;
            }
        }

        /// <summary>Local intervals in minutes since the day's midnight (the end may pass midnight); false if a time is impossible.</summary>
        public bool Resolve(SafeWindowHours hours, out List<(TimeSpan Start, TimeSpan End)> intervals, out bool isNow)
        {
            intervals = [];
            isNow = _times.Any(t => t is NowSpec);
            var explicitTimes = _times.Any(t => t is RangeSpec or AfterSpec or BeforeSpec or AtSpec);

            // "8-10 in the evening": the part says pm, the times say when.
            var pmHint = explicitTimes && _times.OfType<PartSpec>().Any(p => p.Part is TimeWord.Afternoon or TimeWord.Evening or TimeWord.Night);
            var hour = TimeSpan.FromHours(1);
            var midnight = TimeSpan.FromHours(24);

            foreach (var spec in _times)
            {
                switch (spec)
                {
                    case PartSpec p when !explicitTimes:
                        intervals.Add((hours.For(p.Part).Start, hours.For(p.Part).End));
                        break;
                    case AnyTimeSpec:
                        intervals.Add((TimeSpan.Zero, midnight));
                        break;
                    case RangeSpec r:
                    {
                        if (Clock(r.To, null, pmHint) is not { } end)
                        {
                            return false;
                        }

                        // "8-10pm": the first end shares the second's am/pm when that keeps it first.
                        var start = Clock(r.From, null, pmHint);
                        if (r.From.Meridiem is null && r.To.Meridiem is { } m && Clock(r.From, m, false) is { } shared && shared < end)
                        {
                            start = shared;
                        }

                        if (start is not { } s)
                        {
                            return false;
                        }

                        intervals.Add((s, end > s ? end : end + midnight));
                        break;
                    }

                    case AfterSpec a:
                    {
                        if (Clock(a.At, null, pmHint) is not { } s)
                        {
                            return false;
                        }

                        var end = s < hours.Waking.End ? hours.Waking.End : midnight;
                        intervals.Add((s, end > s ? end : s + hour));
                        break;
                    }

                    case BeforeSpec b:
                    {
                        if (Clock(b.At, null, pmHint) is not { } e || e == TimeSpan.Zero)
                        {
                            return false;
                        }

                        var start = e > hours.Waking.Start ? hours.Waking.Start : e - hour;
                        intervals.Add((start < TimeSpan.Zero ? TimeSpan.Zero : start, e));
                        break;
                    }

                    case AtSpec at:
                    {
                        if (Clock(at.At, null, pmHint) is not { } s)
                        {
                            return false;
                        }

                        intervals.Add((s, s + hour));
                        break;
                    }
                }
            }

            if (_times.Count == 0)
            {
                intervals.Add((hours.Waking.Start, hours.Waking.End));
            }

            return true;
        }

        public IEnumerable<SafeWindow> Windows(
            List<(TimeSpan Start, TimeSpan End)> intervals, TimeZoneInfo zone, DateTimeOffset now, DateTimeOffset end)
        {
            var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
            var last = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(end, zone).DateTime);
            if (Until is { } until && until < last)
            {
                last = until;
            }

            // From yesterday: a window past midnight ("22-2") may still be open.
            var first = From is { } from && from > today ? from : today.AddDays(-1);
            for (var day = first; day <= last; day = day.AddDays(1))
            {
                if (!Matches(day, today))
                {
                    continue;
                }

                var midnight = day.ToDateTime(TimeOnly.MinValue);
                foreach (var (start, stop) in intervals)
                {
                    yield return new SafeWindow(ToInstant(midnight + start, zone), ToInstant(midnight + stop, zone));
                }
            }
        }

        private bool Matches(DateOnly day, DateOnly today)
        {
            if (_days.Count == 0)
            {
                return true;
            }

            // A date named outright ("Wed 2 Dec") is that day, whatever weekday name comes with it.
            var dates = _days.Where(d => d.Kind == Kind.Date).ToList();
            if (dates.Count > 0)
            {
                return dates.Any(d => d.Date == day) || _days.Any(d => d.Kind == Kind.Day && d.Word == TimeWord.EveryDay);
            }

            return _days.Any(d => d.Word switch
            {
                TimeWord.Today => day == today,
                TimeWord.Tomorrow => day == today.AddDays(1),
                TimeWord.EveryDay => true,
                TimeWord.Weekdays => day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday),
                TimeWord.Weekend => day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday,
                TimeWord.Monday => day.DayOfWeek == DayOfWeek.Monday,
                TimeWord.Tuesday => day.DayOfWeek == DayOfWeek.Tuesday,
                TimeWord.Wednesday => day.DayOfWeek == DayOfWeek.Wednesday,
                TimeWord.Thursday => day.DayOfWeek == DayOfWeek.Thursday,
                TimeWord.Friday => day.DayOfWeek == DayOfWeek.Friday,
                TimeWord.Saturday => day.DayOfWeek == DayOfWeek.Saturday,
                TimeWord.Sunday => day.DayOfWeek == DayOfWeek.Sunday,
                _ => false,
            });
        }

        // A time of day from a time token; am/pm from the token, else the given one, else pm if hinted for hours 1–11.
        private static TimeSpan? Clock(Token t, TimeWord? meridiem, bool pmHint)
        {
            if (t.Minute > 59 || t.Hour > 24 || (t.Hour == 24 && t.Minute > 0))
            {
                return null;
            }

            var h = t.Hour;
            switch (t.Meridiem ?? meridiem)
            {
                case TimeWord.Am or TimeWord.Pm when h is 0 or > 12:
                    return null;
                case TimeWord.Pm when h < 12:
                    h += 12;
                    break;
                case TimeWord.Am when h == 12:
                    h = 0;
                    break;
                case null when pmHint && h is >= 1 and < 12:
                    h += 12;
                    break;
            }

            return new TimeSpan(h, t.Minute, 0);
        }
    }

    // The words of one language (with English's) as patterns, longest first so "tomorrow morning" is not read as
    // "tomorrow" and a shorter word inside it.
    private sealed class Lexicon
    {
        private readonly List<(Regex Pattern, TimeWord Word)> _phrases;
        private readonly Regex _date;
        private readonly Dictionary<string, int> _months;

        private Lexicon(SafeWindowParser parser, string language)
        {
            var sources = new[] { parser.WordsFor(language), parser.WordsFor(SafeTimeWords.FallbackLanguage) }.Distinct().ToList();
            _phrases = sources
                .SelectMany(s => s.Words.SelectMany(kv => kv.Value.Select(phrase => (Phrase: phrase, Word: kv.Key))))
                .Where(p => p.Word != TimeWord.OwnNumber)
                .DistinctBy(p => p.Phrase)
                .OrderByDescending(p => p.Phrase.Length)
                .Select(p => (new Regex(@"(?<!\p{L})" + Regex.Escape(p.Phrase) + @"(?!\p{L})", RegexOptions.CultureInvariant), p.Word))
                .ToList();

            // Month names, so that "7 Dec" is a date and not seven o'clock.
            _months = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var culture in sources.Select(s => s.Culture).Append(CultureInfo.InvariantCulture))
            {
                var f = culture.DateTimeFormat;
                foreach (var names in new[] { f.MonthNames, f.AbbreviatedMonthNames, f.MonthGenitiveNames, f.AbbreviatedMonthGenitiveNames })
                {
                    for (var m = 0; m < 12; m++)
                    {
                        var name = SafeTimeWords.Fold(names[m]).TrimEnd('.');
                        if (name.Length > 0)
                        {
                            _months.TryAdd(name, m + 1);
                        }
                    }
                }
            }

            var alternatives = string.Join('|', _months.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape));
            _date = new Regex(@"(?<![\d:.])(\d{1,2})\.?\s*(" + alternatives + @")\.?(?!\p{L})", RegexOptions.CultureInvariant);
        }

        public static Lexicon For(SafeWindowParser parser, string language)
        {
            lock (parser._lock)
            {
                if (!parser._lexicons.TryGetValue(language, out var lexicon))
                {
                    lexicon = new Lexicon(parser, language);
                    parser._lexicons[language] = lexicon;
                }

                return lexicon;
            }
        }

        public List<Token> Tokenize(string text, TimeZoneInfo zone, DateTimeOffset now)
        {
            var folded = SafeTimeWords.Fold(text);
            var taken = new bool[folded.Length];
            var tokens = new List<Token>();

            bool Take(Match m)
            {
                if (Enumerable.Range(m.Index, m.Length).Any(i => taken[i]))
                {
                    return false;
                }

                Array.Fill(taken, true, m.Index, m.Length);
                return true;
            }

            var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
            foreach (Match m in _date.Matches(folded))
            {
                var day = int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
                var month = _months[m.Groups[2].Value];
                if (NextDate(today, month, day) is { } date && Take(m))
                {
                    tokens.Add(new Token(m.Index, Kind.Date) { Date = date });
                }
            }

            foreach (Match m in TimePattern().Matches(folded))
            {
                if (Take(m))
                {
                    tokens.Add(new Token(m.Index, Kind.Time)
                    {
                        Hour = int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture),
                        Minute = m.Groups[2].Success ? int.Parse(m.Groups[2].ValueSpan, CultureInfo.InvariantCulture) : 0,
                    });
                }
            }

            foreach (var (pattern, word) in _phrases)
            {
                foreach (Match m in pattern.Matches(folded))
                {
                    if (Take(m))
                    {
                        tokens.Add(new Token(m.Index, KindOf(word)) { Word = word });
                    }
                }
            }

            foreach (Match m in DashPattern().Matches(folded))
            {
                if (Take(m))
                {
                    tokens.Add(new Token(m.Index, Kind.To));
                }
            }

            tokens.Sort((a, b) => a.Position.CompareTo(b.Position));

            // "8 pm": am/pm belongs to the time just before it.
            var result = new List<Token>();
            foreach (var t in tokens)
            {
                if (t.Kind is Kind.Am or Kind.Pm)
                {
                    if (result.Count > 0 && result[^1].Kind == Kind.Time && result[^1].Meridiem is null)
                    {
                        result[^1] = result[^1] with { Meridiem = t.Word };
                    }

                    continue;
                }

                result.Add(t);
            }

            return result;
        }

        private static DateOnly? NextDate(DateOnly today, int month, int day)
        {
            foreach (var year in new[] { today.Year, today.Year + 1 })
            {
                if (day >= 1 && day <= DateTime.DaysInMonth(year, month) && new DateOnly(year, month, day) >= today)
                {
                    return new DateOnly(year, month, day);
                }
            }

            return null;
        }

        private static Kind KindOf(TimeWord word) => word switch
        {
            TimeWord.Morning or TimeWord.Afternoon or TimeWord.Evening or TimeWord.Night => Kind.Part,
            TimeWord.Now => Kind.Now,
            TimeWord.AnyTime => Kind.AnyTime,
            TimeWord.After => Kind.After,
            TimeWord.Before => Kind.Before,
            TimeWord.To => Kind.To,
            TimeWord.Between => Kind.Between,
            TimeWord.Am => Kind.Am,
            TimeWord.Pm => Kind.Pm,
            _ => Kind.Day,
        };
    }

    // "20", "20:00", "20.30", "20h", "20h30"; not part of a longer number (a phone number is no time).
    [GeneratedRegex(@"(?<![\d:.])(\d{1,2})(?:[:.h](\d{2}))?(?:h(?!\p{L}))?(?![\d:])", RegexOptions.CultureInvariant)]
    private static partial Regex TimePattern();

    [GeneratedRegex(@"-")]
    private static partial Regex DashPattern();
}

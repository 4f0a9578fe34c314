namespace Hotline.Callbacks;

/// <summary>
/// The safe times a voice caller picks with one key, e.g. 1 morning, 2 afternoon, 3 evening, 4 any time. Each is
/// written as a caller would write it in English ("evening", "18-20", "any time", "weekdays after 20") and read by
/// <see cref="SafeWindowParser"/>, so a key means exactly what the same words mean in a message.
/// </summary>
public sealed class KeypadPresets
{
    private readonly SafeWindowParser _parser;
    private readonly IReadOnlyDictionary<char, string> _presets;

    /// <param name="presets">Key ('0'–'9') to words; null for the defaults (<see cref="Defaults"/>).</param>
    /// <exception cref="ArgumentException">A key is not a digit, or its words are not understood.</exception>
    public KeypadPresets(SafeWindowParser parser, IReadOnlyDictionary<char, string>? presets = null)
    {
        _parser = parser;
        _presets = presets ?? Defaults;
        var check = new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero); // a Monday: every preset has time ahead
        foreach (var (key, words) in _presets)
        {
            if (!char.IsAsciiDigit(key))
            {
                throw new ArgumentException($"Keypad preset '{key}' is not a digit.", nameof(presets));
            }

            if (!parser.Parse(words, SafeTimeWords.FallbackLanguage, TimeZoneInfo.Utc, check).Understood)
            {
                throw new ArgumentException($"Keypad preset {key} ('{words}') is not understood as a time.", nameof(presets));
            }
        }
    }

    public static IReadOnlyDictionary<char, string> Defaults { get; } = new Dictionary<char, string>
    {
        ['1'] = "morning",
        ['2'] = "afternoon",
        ['3'] = "evening",
        ['4'] = "any time",
    };

    /// <summary>The keys on offer, in order, with their words (for the spoken menu).</summary>
    public IEnumerable<KeyValuePair<char, string>> Keys => _presets.OrderBy(p => p.Key);

    /// <summary>The windows a key stands for (possibly none left before the horizon); null if the key is not a preset.</summary>
    public SafeWindowReading? Windows(char key, TimeZoneInfo zone, DateTimeOffset now, TimeSpan? horizon = null) =>
        _presets.TryGetValue(key, out var words) ? _parser.Parse(words, SafeTimeWords.FallbackLanguage, zone, now, horizon) : null;
}

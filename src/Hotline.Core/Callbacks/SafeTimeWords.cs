using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Hotline.Callbacks;

/// <summary>The kinds of word a caller uses to say when it is safe to call her back.</summary>
public enum TimeWord
{
    Today,
    Tomorrow,

    /// <summary>Today, in the evening and at night.</summary>
    Tonight,
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
    Weekdays,
    Weekend,
    EveryDay,
    Morning,
    Afternoon,
    Evening,
    Night,
    Now,
    AnyTime,

    /// <summary>"after", "from": the time after it starts a window.</summary>
    After,

    /// <summary>"before", "until": the time after it ends a window.</summary>
    Before,

    /// <summary>"to", "till": joins the two ends of a range ("8 to 10").</summary>
    To,

    /// <summary>"between": the two times after it are a range.</summary>
    Between,
    Am,
    Pm,

    /// <summary>"this one", "same": the number she is writing from.</summary>
    OwnNumber,
}

/// <summary>
/// One language's words for safe callback times, read from <c>&lt;code&gt;.json</c> in a folder an NGO can edit (the
/// app ships them in <c>Texts/TimeWords</c>): the words the caller may use, as lists per <see cref="TimeWord"/>, and
/// the few words of the confirmation she is shown (<c>Describe</c>). Digits need no words. A file whose
/// <c>_review</c> note is not "original" is a machine-made translation waiting for a native speaker.
/// </summary>
public sealed class SafeTimeWords
{
    public const string FallbackLanguage = "en";
    private const string ReviewedMarker = "original";

    private SafeTimeWords(
        string language, string review, IReadOnlyDictionary<TimeWord, IReadOnlyList<string>> words,
        IReadOnlyDictionary<string, string> describe)
    {
        Language = language;
        Review = review;
        Words = words;
        DescribeTexts = describe;
    }

    /// <summary>The language code (the file's name), e.g. "ro".</summary>
    public string Language { get; }

    public string Review { get; }

    public bool NeedsReview => Review != ReviewedMarker;

    /// <summary>The words of each kind, folded (<see cref="Fold"/>) as the parser compares them.</summary>
    public IReadOnlyDictionary<TimeWord, IReadOnlyList<string>> Words { get; }

    private IReadOnlyDictionary<string, string> DescribeTexts { get; }

    /// <summary>"today".</summary>
    public string TodayLabel => DescribeTexts["Today"];

    /// <summary>"tomorrow".</summary>
    public string TomorrowLabel => DescribeTexts["Tomorrow"];

    /// <summary>"every day {Times} until {End}".</summary>
    public string EveryDayUntil => DescribeTexts["EveryDayUntil"];

    /// <summary>"every day {Times} from {Start} until {End}".</summary>
    public string EveryDayFromUntil => DescribeTexts["EveryDayFromUntil"];

    /// <summary>The language's culture for day and month names; invariant if .NET does not know it.</summary>
    public CultureInfo Culture
    {
        get
        {
            try
            {
                return CultureInfo.GetCultureInfo(Language);
            }
            catch (CultureNotFoundException)
            {
                return CultureInfo.InvariantCulture;
            }
        }
    }

    /// <summary>Loads every <c>*.json</c> in <paramref name="folder"/>, keyed by language; English must be there.</summary>
    /// <exception cref="SafeTimeWordsException">A file is invalid (the message names the file and the key).</exception>
    public static IReadOnlyDictionary<string, SafeTimeWords> LoadAll(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new SafeTimeWordsException($"The time words folder '{folder}' does not exist.");
        }

        var all = new Dictionary<string, SafeTimeWords>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            var language = Path.GetFileNameWithoutExtension(file).ToLowerInvariant();
            all[language] = Parse(language, File.ReadAllText(file), Path.GetFileName(file));
        }

        if (!all.ContainsKey(FallbackLanguage))
        {
            throw new SafeTimeWordsException($"The time words folder '{folder}' has no {FallbackLanguage}.json (the fallback).");
        }

        return all;
    }

    /// <summary>Reads one language's words from its JSON text; <paramref name="source"/> names it in errors.</summary>
    public static SafeTimeWords Parse(string language, string json, string source)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            root = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new SafeTimeWordsException($"{source} is not valid JSON: {e.Message}");
        }

        var words = new Dictionary<TimeWord, IReadOnlyList<string>>();
        foreach (var kind in Enum.GetValues<TimeWord>())
        {
            if (!root.TryGetProperty(kind.ToString(), out var list))
            {
                words[kind] = [];
                continue;
            }

            if (list.ValueKind != JsonValueKind.Array || list.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
            {
                throw new SafeTimeWordsException($"{source}: '{kind}' must be a list of words or phrases.");
            }

            words[kind] = list.EnumerateArray().Select(x => Fold(x.GetString()!).Trim()).Where(x => x.Length > 0).Distinct().ToList();
        }

        if (!root.TryGetProperty("Describe", out var describe) || describe.ValueKind != JsonValueKind.Object)
        {
            throw new SafeTimeWordsException($"{source}: 'Describe' is missing (Today, Tomorrow, EveryDayUntil, EveryDayFromUntil).");
        }

        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, placeholders) in DescribeKeys)
        {
            var text = describe.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            if (string.IsNullOrWhiteSpace(text))
            {
                throw new SafeTimeWordsException($"{source}: 'Describe.{key}' is missing or empty.");
            }

            if (placeholders.FirstOrDefault(p => !text.Contains(p, StringComparison.Ordinal)) is { } missing)
            {
                throw new SafeTimeWordsException($"{source}: 'Describe.{key}' must contain {missing}.");
            }

            texts[key] = text;
        }

        var review = root.TryGetProperty("_review", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() ?? "" : "";
        return new SafeTimeWords(language, review, words, texts);
    }

    /// <summary>
    /// Lower case without accents, so that a caller typing without diacritics ("maine", "apres") is understood as
    /// well as one who types them ("mâine", "après"); dashes of every width become '-', apostrophes "'".
    /// </summary>
    public static string Fold(string text)
    {
        var decomposed = text.ToLowerInvariant().Normalize(NormalizationForm.FormD);
        var folded = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            folded.Append(c switch
            {
                '–' or '—' or '‐' or '‑' or '−' => '-',
                '’' or 'ʼ' or '`' => '\'',
                _ => c,
            });
        }

        return folded.ToString().Normalize(NormalizationForm.FormC);
    }

    private static readonly (string Key, string[] Placeholders)[] DescribeKeys =
    [
        ("Today", []),
        ("Tomorrow", []),
        ("EveryDayUntil", ["{Times}", "{End}"]),
        ("EveryDayFromUntil", ["{Times}", "{Start}", "{End}"]),
    ];
}

public sealed class SafeTimeWordsException(string message) : Exception(message);

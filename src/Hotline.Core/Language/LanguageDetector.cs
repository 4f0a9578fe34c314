using System.Globalization;
using System.Reflection;
using System.Text;

namespace Hotline.Language;

/// <summary>The detector's answer: a language code and how sure it is (0..1).</summary>
public sealed record LanguageGuess(string Language, double Confidence);

/// <summary>
/// Detects the language of a short message (an SMS, a first chat line). First the script narrows the candidates
/// (Han, Arabic, Cyrillic, Latin); then a naive Bayes model over character 1- to 3-grams, trained on text written for
/// this purpose (Language/Corpus), picks among them. Latin-script training text is also learned without diacritics,
/// because many people text without them. Accuracy on a held-out set is measured by bench/language.
/// </summary>
public sealed class LanguageDetector
{
    /// <summary>The languages the hotline ships with, as ISO 639-1 codes.</summary>
    public static IReadOnlyList<string> Shipped { get; } =
        ["en", "ro", "bg", "ru", "uk", "pl", "sq", "sr", "es", "fr", "zh", "ar"];

    private const int MaxGram = 3;
    private static readonly Lazy<LanguageDetector> Embedded = new(() => Train(LoadEmbeddedCorpus(Shipped)));

    private readonly Dictionary<string, LanguageProfile> _profiles;

    private LanguageDetector(Dictionary<string, LanguageProfile> profiles) => _profiles = profiles;

    public IReadOnlyCollection<string> Languages => _profiles.Keys;

    /// <summary>The detector trained on the shipped corpus (built once, on first use).</summary>
    public static LanguageDetector Default => Embedded.Value;

    public static LanguageDetector Train(IReadOnlyDictionary<string, IEnumerable<string>> samples)
    {
        var profiles = new Dictionary<string, LanguageProfile>(StringComparer.Ordinal);
        foreach (var (language, lines) in samples)
        {
            var profile = new LanguageProfile();
            foreach (var line in lines)
            {
                var normalized = Normalize(line);
                foreach (var variant in TrainingVariants(language, normalized))
                {
                    profile.Add(variant);
                }
            }

            profiles[language] = profile;
        }

        return new LanguageDetector(profiles);
    }

    // Each training line is also learned as people may type it: Latin without diacritics, and Serbian in both of its
    // scripts (every Serbian text has an exact Cyrillic and Latin form).
    private static IEnumerable<string> TrainingVariants(string language, string normalized)
    {
        var forms = new List<string> { normalized };
        if (language == "sr")
        {
            forms.Add(WritingScripts.Of(normalized) == WritingScript.Cyrillic
                ? SerbianScript.ToLatin(normalized)
                : SerbianScript.ToCyrillic(normalized));
        }

        foreach (var form in forms.ToList())
        {
            var stripped = StripDiacritics(form);
            if (stripped != form && WritingScripts.Of(form) == WritingScript.Latin)
            {
                forms.Add(stripped);
            }
        }

        return forms.Distinct(StringComparer.Ordinal);
    }

    public LanguageGuess Detect(string text, IReadOnlyCollection<string>? among = null)
    {
        var normalized = Normalize(text);
        var script = WritingScripts.Of(normalized);
        var candidates = _profiles
            .Where(p => among is null || among.Contains(p.Key))
            .Where(p => script == WritingScript.Unknown || p.Value.ScriptShare(script) >= 0.1)
            .ToList();
        if (candidates.Count == 0)
        {
            candidates = [.. _profiles.Where(p => among is null || among.Contains(p.Key))];
        }

        var grams = Grams(normalized).ToList();
        var scores = candidates
            .Select(c => (Language: c.Key, Score: c.Value.LogLikelihood(grams)))
            .OrderByDescending(s => s.Score)
            .ToList();
        if (scores.Count == 1 || grams.Count == 0)
        {
            return new LanguageGuess(scores[0].Language, scores.Count == 1 ? 1 : 0);
        }

        // Softmax over per-gram scores: a calibrated-enough confidence for "ask the caller to pick".
        var perGram = scores.Select(s => s.Score / grams.Count).ToList();
        var max = perGram[0];
        var total = perGram.Sum(s => Math.Exp((s - max) * 8));
        return new LanguageGuess(scores[0].Language, 1 / total);
    }

    internal static string Normalize(string text)
    {
        var lower = text.Normalize(NormalizationForm.FormC).ToLowerInvariant();
        var result = new StringBuilder(lower.Length + 2).Append(' ');
        var lastWasSpace = true;
        foreach (var c in lower)
        {
            // Letters carry the language; digits, punctuation and emoji do not. Apostrophes matter in Ukrainian.
            var keep = char.IsLetter(c) || char.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark
                       || c is '\'' or '’' or 'ʼ';
            if (keep)
            {
                result.Append(c is '’' or 'ʼ' ? '\'' : c);
                lastWasSpace = false;
            }
            else if (!lastWasSpace)
            {
                result.Append(' ');
                lastWasSpace = true;
            }
        }

        if (!lastWasSpace)
        {
            result.Append(' ');
        }

        return result.ToString();
    }

    internal static string StripDiacritics(string text)
    {
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var result = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                result.Append(c switch { 'ł' => 'l', 'đ' => 'd', 'ß' => 's', _ => c });
            }
        }

        return result.ToString().Normalize(NormalizationForm.FormC);
    }

    internal static IEnumerable<string> Grams(string normalized)
    {
        for (var n = 1; n <= MaxGram; n++)
        {
            for (var i = 0; i + n <= normalized.Length; i++)
            {
                var gram = normalized.Substring(i, n);
                if (!string.IsNullOrWhiteSpace(gram) && !(n > 1 && gram.Trim().Length == 0))
                {
                    yield return gram;
                }
            }
        }
    }

    private static Dictionary<string, IEnumerable<string>> LoadEmbeddedCorpus(IEnumerable<string> languages)
    {
        var assembly = typeof(LanguageDetector).Assembly;
        var corpus = new Dictionary<string, IEnumerable<string>>(StringComparer.Ordinal);
        foreach (var language in languages)
        {
            using var stream = assembly.GetManifestResourceStream($"Hotline.Language.Corpus.{language}.txt")
                ?? throw new InvalidOperationException($"No training text for language '{language}'.");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            corpus[language] = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        return corpus;
    }

    private sealed class LanguageProfile
    {
        private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
        // Totals per gram length and script: a profile that spans two scripts (Serbian) is not diluted by the other.
        private readonly Dictionary<(int Length, WritingScript Script), int> _totals = [];
        private readonly Dictionary<WritingScript, int> _scriptLetters = [];
        private int _letters;

        public void Add(string normalized)
        {
            foreach (var c in normalized)
            {
                if (char.IsLetter(c))
                {
                    var script = WritingScripts.OfChar(c);
                    _scriptLetters[script] = _scriptLetters.GetValueOrDefault(script) + 1;
                    _letters++;
                }
            }

            foreach (var gram in Grams(normalized))
            {
                _counts[gram] = _counts.GetValueOrDefault(gram) + 1;
                var key = (gram.Length, ScriptOf(gram));
                _totals[key] = _totals.GetValueOrDefault(key) + 1;
            }
        }

        public double ScriptShare(WritingScript script) =>
            _letters == 0 ? 0 : (double)_scriptLetters.GetValueOrDefault(script) / _letters;

        // Add-one smoothing over a generous vocabulary per gram length, so an unseen gram costs the same everywhere.
        public double LogLikelihood(IEnumerable<string> grams)
        {
            double score = 0;
            foreach (var gram in grams)
            {
                var n = gram.Length;
                var count = _counts.GetValueOrDefault(gram);
                var total = _totals.GetValueOrDefault((n, ScriptOf(gram)));
                score += Math.Log((count + 0.5) / (total + 0.5 * VocabularySize(n)));
            }

            return score;
        }

        private static WritingScript ScriptOf(string gram)
        {
            foreach (var c in gram)
            {
                if (char.IsLetter(c))
                {
                    return WritingScripts.OfChar(c);
                }
            }

            return WritingScript.Unknown;
        }

        private static double VocabularySize(int n) => n switch { 1 => 200, 2 => 20_000, _ => 200_000 };
    }
}

/// <summary>The writing systems the shipped languages use.</summary>
internal enum WritingScript
{
    Unknown,
    Latin,
    Cyrillic,
    Arabic,
    Han,
}

internal static class WritingScripts
{
    public static WritingScript OfChar(char c) => c switch
    {
        >= '\u0400' and <= '\u052F' => WritingScript.Cyrillic,
        >= '\u0600' and <= '\u06FF' or >= '\u0750' and <= '\u077F' or >= '\uFB50' and <= '\uFDFF' or >= '\uFE70' and <= '\uFEFF'
            => WritingScript.Arabic,
        >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF' or >= '\uF900' and <= '\uFAFF'
            => WritingScript.Han,
        _ when char.IsLetter(c) && c < '\u0250' => WritingScript.Latin,
        _ => WritingScript.Unknown,
    };

    /// <summary>The script most of the text's letters are written in.</summary>
    public static WritingScript Of(string text)
    {
        var counts = new Dictionary<WritingScript, int>();
        foreach (var c in text)
        {
            if (char.IsLetter(c))
            {
                var s = OfChar(c);
                counts[s] = counts.GetValueOrDefault(s) + 1;
            }
        }

        return counts.Count == 0 ? WritingScript.Unknown : counts.MaxBy(kv => kv.Value).Key;
    }
}

/// <summary>Serbian's two scripts map letter for letter (Vuk's alphabet and Gaj's Latin alphabet).</summary>
internal static class SerbianScript
{
    private static readonly (string Cyrillic, string Latin)[] Pairs =
    [
        ("љ", "lj"), ("њ", "nj"), ("џ", "dž"), ("а", "a"), ("б", "b"), ("в", "v"), ("г", "g"), ("д", "d"), ("ђ", "đ"),
        ("е", "e"), ("ж", "ž"), ("з", "z"), ("и", "i"), ("ј", "j"), ("к", "k"), ("л", "l"), ("м", "m"), ("н", "n"),
        ("о", "o"), ("п", "p"), ("р", "r"), ("с", "s"), ("т", "t"), ("ћ", "ć"), ("у", "u"), ("ф", "f"), ("х", "h"),
        ("ц", "c"), ("ч", "č"), ("ш", "š"),
    ];

    public static string ToLatin(string text)
    {
        var result = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            var pair = Array.Find(Pairs, p => p.Cyrillic[0] == c);
            result.Append(pair.Latin ?? c.ToString());
        }

        return result.ToString();
    }

    public static string ToCyrillic(string text)
    {
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            // Digraphs first: lj, nj, dž are single Cyrillic letters.
            var two = i + 1 < text.Length ? text.Substring(i, 2) : null;
            var pair = Array.Find(Pairs, p => p.Latin.Length == 2 && p.Latin == two);
            if (pair.Cyrillic is not null)
            {
                result.Append(pair.Cyrillic);
                i++;
                continue;
            }

            pair = Array.Find(Pairs, p => p.Latin.Length == 1 && p.Latin[0] == text[i]);
            result.Append(pair.Cyrillic ?? text[i].ToString());
        }

        return result.ToString();
    }
}

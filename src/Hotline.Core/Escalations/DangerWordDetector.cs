using System.Globalization;
using System.Text;

namespace Hotline.Escalations;

/// <summary>What a danger word signals. Every language's list covers each of them.</summary>
public enum DangerSituation
{
    /// <summary>Held against their will: locked in, not let go, kidnapped, sold.</summary>
    HeldAgainstWill,

    /// <summary>Violence happening now, or a cry for help now.</summary>
    ViolenceNow,

    /// <summary>Passport or papers taken or kept from them.</summary>
    DocumentsTaken,

    /// <summary>Threatened: with death, or their family.</summary>
    Threatened,

    ChildAtRisk,

    Medical,

    SelfHarm,
}

public static class DangerSituations
{
    public static IReadOnlyList<DangerSituation> All { get; } = Enum.GetValues<DangerSituation>();

    /// <summary>The situation's name in the texts files and in an escalation's source, e.g. <c>held-against-will</c>.</summary>
    public static string Id(this DangerSituation situation) => situation switch
    {
        DangerSituation.HeldAgainstWill => "held-against-will",
        DangerSituation.ViolenceNow => "violence-now",
        DangerSituation.DocumentsTaken => "documents-taken",
        DangerSituation.Threatened => "threatened",
        DangerSituation.ChildAtRisk => "child-at-risk",
        DangerSituation.Medical => "medical",
        DangerSituation.SelfHarm => "self-harm",
        _ => throw new ArgumentOutOfRangeException(nameof(situation)),
    };

    public static DangerSituation? FromId(string id) => All.Where(s => s.Id() == id).Select(s => (DangerSituation?)s).FirstOrDefault();
}

/// <summary>A danger word or phrase and the situation it signals.</summary>
public sealed record DangerPhrase(string Phrase, DangerSituation Situation);

/// <summary>A phrase found in a message (as normalised) and its situation: the reason to raise, never the caller's words.</summary>
public sealed record DangerMatch(string Phrase, DangerSituation Situation);

/// <summary>
/// Finds danger words and phrases in a caller's message, in any of the hotline's languages at once (callers mix
/// languages), ignoring case and diacritics. Phrases match whole words; phrases in scripts written without spaces
/// (Chinese) match anywhere in the text. Every message is checked against every language's list, so whole-word
/// phrases are looked up by the message's words (a dictionary look-up per word, however long the lists grow).
/// </summary>
public sealed class DangerWordDetector
{
    // Whole-word phrases by their first word, longest first, each kept padded with spaces ("␣they lock me␣").
    private readonly Dictionary<string, (string Padded, DangerMatch Match)[]> _byFirstWord;
    private readonly Dictionary<string, (string Padded, DangerMatch Match)[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly (string Phrase, DangerMatch Match)[] _anywhere;

    public DangerWordDetector(IEnumerable<DangerPhrase> phrases)
    {
        var normalized = phrases
            .Select(p => new DangerMatch(Normalize(p.Phrase), p.Situation))
            .Where(m => m.Phrase.Length > 0)
            .DistinctBy(m => m.Phrase, StringComparer.Ordinal)
            .ToList();
        _anywhere = normalized.Where(m => m.Phrase.Any(IsHan)).Select(m => (m.Phrase, m)).ToArray();
        _byFirstWord = normalized.Where(m => !m.Phrase.Any(IsHan))
            .GroupBy(m => m.Phrase.Split(' ')[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(m => m.Phrase.Length).Select(m => (" " + m.Phrase + " ", m)).ToArray(), StringComparer.Ordinal);
        _lookup = _byFirstWord.GetAlternateLookup<ReadOnlySpan<char>>();
        Count = normalized.Count;
    }

    public int Count { get; }

    /// <summary>The first danger phrase in the text (the longest where several start at one word) and its situation, or null.</summary>
    public DangerMatch? Find(string text)
    {
        var normalized = Normalize(text);
        foreach (var (phrase, match) in _anywhere)
        {
            if (normalized.Contains(phrase, StringComparison.Ordinal))
            {
                return match;
            }
        }

        var padded = (" " + normalized + " ").AsSpan();
        for (var start = 0; start < padded.Length - 1; start = padded[(start + 1)..].IndexOf(' ') + start + 1)
        {
            var word = padded[(start + 1)..];
            word = word[..word.IndexOf(' ')];
            if (word.Length > 0 && _lookup.TryGetValue(word, out var candidates))
            {
                foreach (var (candidate, match) in candidates)
                {
                    if (padded[start..].StartsWith(candidate, StringComparison.Ordinal))
                    {
                        return match;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>The first phrase found (as normalised), or null.</summary>
    public string? FirstMatch(string text) => Find(text)?.Phrase;

    /// <summary>
    /// Lower case, no diacritics (Latin accents, Arabic vowel marks), letters people type interchangeably folded
    /// together (ł and l, đ and d, Arabic alef and teh marbuta forms), every run of other characters (spaces,
    /// hyphens, apostrophes of any kind) one space.
    /// </summary>
    public static string Normalize(string text)
    {
        var decomposed = text.ToLowerInvariant().Normalize(NormalizationForm.FormD);
        var result = new StringBuilder(decomposed.Length);
        var space = true;
        foreach (var c in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
            {
                continue;
            }

            if (char.IsLetterOrDigit(c) && !Apostrophes.Contains(c))
            {
                result.Append(Folded.TryGetValue(c, out var plain) ? plain : c);
                space = false;
            }
            else if (!space)
            {
                result.Append(' ');
                space = true;
            }
        }

        return result.ToString().Trim().Normalize(NormalizationForm.FormC);
    }

    // Letters no decomposition takes apart, which people nonetheless type without their mark.
    private static readonly Dictionary<char, char> Folded = new()
    {
        ['ł'] = 'l', ['đ'] = 'd', ['ø'] = 'o', ['ı'] = 'i',
        ['أ'] = 'ا', ['إ'] = 'ا', ['آ'] = 'ا', ['ٱ'] = 'ا', ['ة'] = 'ه', ['ى'] = 'ي',
    };

    // The modifier-letter apostrophe (Ukrainian ʼ) counts as a letter in Unicode but is typed as any apostrophe.
    private static readonly HashSet<char> Apostrophes = ['\u02BC', '\u02B9', '\u02BB'];

    private static bool IsHan(char c) => c is >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF';
}

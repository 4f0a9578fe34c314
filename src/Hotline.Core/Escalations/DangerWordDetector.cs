using System.Globalization;
using System.Text;

namespace Hotline.Escalations;

/// <summary>
/// Finds danger words and phrases in a caller's message, in any of the hotline's languages at once (callers mix
/// languages), ignoring case and diacritics. Phrases match whole words; phrases in scripts written without spaces
/// (Chinese) match anywhere in the text.
/// </summary>
public sealed class DangerWordDetector
{
    private readonly List<(string Phrase, bool Anywhere)> _phrases;

    public DangerWordDetector(IEnumerable<string> phrases) =>
        _phrases = phrases
            .Select(Normalize)
            .Where(p => p.Length > 0)
            .Distinct(StringComparer.Ordinal)
            // Whole-word phrases are kept padded with spaces, so matching a message allocates nothing per phrase.
            .Select(p => p.Any(IsHan) ? (p, true) : (" " + p + " ", false))
            .ToList();

    public int Count => _phrases.Count;

    /// <summary>The first phrase found (as normalised), or null.</summary>
    public string? FirstMatch(string text)
    {
        var normalized = Normalize(text);
        var padded = " " + normalized + " ";
        foreach (var (phrase, anywhere) in _phrases)
        {
            if ((anywhere ? normalized : padded).Contains(phrase, StringComparison.Ordinal))
            {
                return anywhere ? phrase : phrase.Trim();
            }
        }

        return null;
    }

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

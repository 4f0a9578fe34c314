using System.Text.RegularExpressions;

namespace Hotline.Privacy;

/// <summary>
/// Removes anything that looks like a phone number from free text bound for logs and traces.
/// It errs on the side of hiding: any run of seven or more digits (with the usual separators) is masked,
/// except for shapes that are known not to be phone numbers (GUIDs, hex ids, ISO timestamps), which are kept
/// so that operators can still correlate events.
/// </summary>
public static partial class SensitiveDataScrubber
{
    public const string PhoneMask = "[phone]";
    public const string TextMask = "[redacted]";

    // Order matters: the "keep" alternatives are tried first at each position.
    [GeneratedRegex(
        """
        (?<keep>
            [0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}
          | \b[A-Z]{2}[0-9a-f]{32}\b
          | (?<![0-9A-Za-z])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{16,}(?![0-9A-Za-z])
          | \d{4}-\d{2}-\d{2}(?:[T\x20]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?
        )
        | (?<phone>(?:\+|\b00|\()?\d(?:[\x20\t\u00A0\-./()]{0,2}\d){6,})
        """,
        RegexOptions.IgnorePatternWhitespace | RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static string Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text) || !ContainsDigitRun(text))
        {
            return text ?? string.Empty;
        }

        return Pattern().Replace(text, m => m.Groups["keep"].Success ? m.Value : PhoneMask);
    }

    // Cheap pre-check: most log lines have no seven digits at all.
    private static bool ContainsDigitRun(string text)
    {
        var digits = 0;
        foreach (var c in text)
        {
            if (char.IsAsciiDigit(c) && ++digits >= 7)
            {
                return true;
            }
        }

        return false;
    }
}

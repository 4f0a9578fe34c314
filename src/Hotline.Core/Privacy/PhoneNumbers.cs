using PhoneNumbers;

namespace Hotline.Privacy;

/// <summary>Brings a caller's number to one canonical form (E.164) so the same phone always maps to the same pseudonym.</summary>
public static class PhoneNumberNormalizer
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>E.164 for a number in international form; for anything else, its digits (short codes, odd senders).</summary>
    public static string Normalize(string number)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(number);
        var trimmed = number.Trim();
        if (trimmed.StartsWith("00", StringComparison.Ordinal))
        {
            trimmed = "+" + trimmed[2..];
        }

        if (trimmed.StartsWith('+'))
        {
            try
            {
                return Util.Format(Util.Parse(trimmed, null), PhoneNumberFormat.E164);
            }
            catch (NumberParseException)
            {
                // Fall through to digits: never fail to pseudonymize a sender.
            }
        }

        var digits = new string(trimmed.Where(char.IsAsciiDigit).ToArray());
        return digits.Length > 0 ? digits : trimmed.ToUpperInvariant();
    }
}

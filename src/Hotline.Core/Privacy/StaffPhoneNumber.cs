using System.Diagnostics.CodeAnalysis;
using PhoneNumbers;

namespace Hotline.Privacy;

/// <summary>
/// A staff member's own phone number, in E.164: staff personal data. It never prints itself (<see cref="ToString"/>
/// is the masked form) and has no property that a serializer would write out in full; the number is read through
/// <see cref="Reveal"/>, on purpose, where it is dialled.
/// </summary>
public sealed class StaffPhoneNumber : IEquatable<StaffPhoneNumber>
{
    /// <summary>How many trailing digits the masked form shows: enough for its owner to recognise, too few to call.</summary>
    public const int ShownDigits = 4;

    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    private readonly string _e164;

    private StaffPhoneNumber(string e164) => _e164 = e164;

    /// <summary>"•••• 4567".</summary>
    public string Masked => "•••• " + _e164[^ShownDigits..];

    /// <summary>The number in E.164, for the one place that rings it.</summary>
    public string Reveal() => _e164;

    public override string ToString() => Masked;

    public bool Equals(StaffPhoneNumber? other) => other is not null && string.Equals(_e164, other._e164, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as StaffPhoneNumber);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_e164);

    /// <summary>A number as stored (E.164), or one a person typed that must be valid.</summary>
    /// <exception cref="FormatException">Not a phone number in international form (the message never holds it).</exception>
    public static StaffPhoneNumber Parse(string input) =>
        TryParse(input, out var number, out var problem) ? number : throw new FormatException($"Not a staff phone number: {problem}");

    /// <summary>
    /// Accepts a number in international form (<c>+</c> or <c>00</c> and the country code; spaces, dashes, dots and
    /// brackets allowed) that is possible for its country (libphonenumber's length rules, so a newly allocated range
    /// is not refused) and has no extension; brings it to E.164 with <see cref="PhoneNumberNormalizer"/>.
    /// <paramref name="problem"/> says what is wrong without repeating the number.
    /// </summary>
    public static bool TryParse(
        string? input, [NotNullWhen(true)] out StaffPhoneNumber? number, [NotNullWhen(false)] out string? problem)
    {
        number = null;
        var trimmed = input?.Trim() ?? string.Empty;
        problem = trimmed switch
        {
            "" => "it is empty.",
            { Length: > 32 } => "it is too long.",
            _ when !trimmed.StartsWith('+') && !trimmed.StartsWith("00", StringComparison.Ordinal) =>
                "it must be in international form: + and the country code, for example +44 7700 900123.",
            _ when trimmed.Skip(1).Any(c => !char.IsAsciiDigit(c) && c is not (' ' or '-' or '.' or '(' or ')')) =>
                "it may hold only digits, spaces, '-', '.', '(' and ')' after the leading +.",
            _ => null,
        };
        if (problem is not null)
        {
            return false;
        }

        PhoneNumber parsed;
        try
        {
            parsed = Util.Parse(trimmed.StartsWith('+') ? trimmed : "+" + trimmed[2..], null);
        }
        catch (NumberParseException e)
        {
            problem = e.ErrorType switch
            {
                ErrorType.INVALID_COUNTRY_CODE => "its country code is unknown.",
                ErrorType.TOO_SHORT_NSN or ErrorType.TOO_SHORT_AFTER_IDD => "it is too short.",
                ErrorType.TOO_LONG => "it is too long.",
                _ => "it is not a phone number.",
            };
            return false;
        }

        problem = Util.IsPossibleNumberWithReason(parsed) switch
        {
            PhoneNumberUtil.ValidationResult.IS_POSSIBLE => null,
            PhoneNumberUtil.ValidationResult.INVALID_COUNTRY_CODE => "its country code is unknown.",
            PhoneNumberUtil.ValidationResult.TOO_SHORT => "it is too short for its country.",
            PhoneNumberUtil.ValidationResult.TOO_LONG => "it is too long for its country.",
            _ => "its length does not fit its country.",
        };
        if (problem is not null)
        {
            return false;
        }

        // The hotline's one canonical form, as for callers' numbers.
        number = new StaffPhoneNumber(PhoneNumberNormalizer.Normalize(trimmed));
        return true;
    }
}

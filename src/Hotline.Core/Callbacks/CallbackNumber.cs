using PhoneNumbers;

namespace Hotline.Callbacks;

/// <summary>Why a number cannot be called back on, for saying so in the caller's own language.</summary>
public enum CallbackNumberIssue
{
    /// <summary>No number was given, and there is none she is writing from.</summary>
    Missing,

    /// <summary>Letters, or not readable as a phone number at all.</summary>
    NotANumber,

    /// <summary>Too short or too long, or the wrong number of digits for its country.</summary>
    WrongLength,

    UnknownCountryCode,

    /// <summary>Well formed, but not a number in use in its country.</summary>
    NotInUse,

    /// <summary>Premium, toll-free, shared-cost, pager and the like: not a person's phone.</summary>
    NotPersonal,
}

/// <summary>The number a caller gives to be called back on, in E.164, or why it cannot be used (in English, and as an issue).</summary>
public sealed record CallbackNumberReading(string? E164, string? Problem, CallbackNumberIssue? Issue = null)
{
    public bool IsValid => E164 is not null;
}

/// <summary>
/// Reads the number a caller gives for her callback, as she may write it: in national form for the country of the
/// hotline line she used ("0722 123 456" on a Romanian line), or in international form (+ or 00), or "this one",
/// "same", or nothing at all for the number she is writing or calling from. Only numbers a counsellor can ring and
/// reach a person on are taken: mobile, fixed line, personal or VoIP numbers; not premium, toll-free, shared-cost or
/// pager numbers. Problems are said in plain words and never repeat the number.
/// </summary>
public static class CallbackNumber
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    private static readonly HashSet<PhoneNumberType> Reachable =
    [
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.PERSONAL_NUMBER,
        PhoneNumberType.VOIP,
    ];

    /// <param name="input">What she wrote.</param>
    /// <param name="defaultRegion">The ISO country (e.g. "RO") of the hotline line she used, for a number in national form.</param>
    /// <param name="ownNumber">The number she is writing or calling from (null on the web chat, where there is none).</param>
    /// <param name="ownNumberWords">Her language's words for "this one"/"same" (<see cref="TimeWord.OwnNumber"/>); English's are always understood.</param>
    public static CallbackNumberReading Read(string? input, string defaultRegion, string? ownNumber, IEnumerable<string>? ownNumberWords = null)
    {
        var text = input?.Trim() ?? "";
        var folded = SafeTimeWords.Fold(text).Trim(' ', '.', '!', ',');
        var own = (ownNumberWords ?? []).Append("this one").Append("this number").Append("same").Append("same number").Append("mine")
            .Select(SafeTimeWords.Fold);
        if (folded.Length == 0 || own.Contains(folded, StringComparer.Ordinal))
        {
            return ownNumber is { Length: > 0 }
                ? Read(ownNumber, defaultRegion, null)
                : Refused(CallbackNumberIssue.Missing, "There is no number to call you back on: please write your phone number.");
        }

        if (text.Any(c => char.IsLetter(c)))
        {
            return Refused(CallbackNumberIssue.NotANumber, "This is not a phone number: please write only its digits.");
        }

        var digits = text.Count(char.IsAsciiDigit);
        if (digits < 5)
        {
            return Refused(CallbackNumberIssue.WrongLength, "This number is too short.");
        }

        if (digits > 17)
        {
            return Refused(CallbackNumberIssue.WrongLength, "This number is too long.");
        }

        PhoneNumber number;
        try
        {
            number = Util.Parse(text.StartsWith("00", StringComparison.Ordinal) ? "+" + text[2..] : text, defaultRegion);
        }
        catch (NumberParseException e)
        {
            return e.ErrorType switch
            {
                ErrorType.INVALID_COUNTRY_CODE => Refused(CallbackNumberIssue.UnknownCountryCode, "The country code of this number is unknown: write it with + and the country code."),
                ErrorType.TOO_SHORT_NSN or ErrorType.TOO_SHORT_AFTER_IDD => Refused(CallbackNumberIssue.WrongLength, "This number is too short."),
                ErrorType.TOO_LONG => Refused(CallbackNumberIssue.WrongLength, "This number is too long."),
                _ => Refused(CallbackNumberIssue.NotANumber, "This is not a phone number."),
            };
        }

        var impossible = Util.IsPossibleNumberWithReason(number) switch
        {
            PhoneNumberUtil.ValidationResult.IS_POSSIBLE => null,
            PhoneNumberUtil.ValidationResult.TOO_SHORT => Refused(CallbackNumberIssue.WrongLength, "This number is too short for its country."),
            PhoneNumberUtil.ValidationResult.TOO_LONG => Refused(CallbackNumberIssue.WrongLength, "This number is too long for its country."),
            PhoneNumberUtil.ValidationResult.INVALID_COUNTRY_CODE => Refused(CallbackNumberIssue.UnknownCountryCode, "The country code of this number is unknown."),
            _ => Refused(CallbackNumberIssue.WrongLength, "This number has the wrong number of digits for its country."),
        };
        if (impossible is not null)
        {
            return impossible;
        }

        if (!Util.IsValidNumber(number))
        {
            // Some countries also have short numbers of other kinds: shorter than their phones' is too short to call.
            var region = Util.GetRegionCodeForCountryCode(number.CountryCode);
            var phoneLengths = new[] { PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE }
                .Select(type => Util.GetExampleNumberForType(region, type))
                .OfType<PhoneNumber>()
                .Select(example => Util.GetNationalSignificantNumber(example).Length)
                .ToList();
            return phoneLengths.Count > 0 && Util.GetNationalSignificantNumber(number).Length < phoneLengths.Min()
                ? Refused(CallbackNumberIssue.WrongLength, "This number is too short.")
                : Refused(CallbackNumberIssue.NotInUse, "This is not a phone number in use in its country: please check it.");
        }

        if (!Reachable.Contains(Util.GetNumberType(number)))
        {
            return Refused(CallbackNumberIssue.NotPersonal, "This is not a mobile or home phone number: please give one we can call.");
        }

        return new CallbackNumberReading(Util.Format(number, PhoneNumberFormat.E164), null);
    }

    private static CallbackNumberReading Refused(CallbackNumberIssue issue, string problem) => new(null, problem, issue);
}

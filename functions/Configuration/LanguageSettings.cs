using Hotline.Language;

namespace Hotline.Functions.Configuration;

/// <summary>
/// Languages the hotline works in (<c>Languages__Supported</c>, comma-separated ISO 639-1 codes; default: the twelve
/// shipped languages).
/// </summary>
public sealed record LanguageSettings(IReadOnlyList<string> Supported)
{
    public static LanguageSettings Read(IConfiguration configuration)
    {
        var value = configuration["Languages:Supported"];
        if (string.IsNullOrWhiteSpace(value))
        {
            return new LanguageSettings(LanguageDetector.Shipped);
        }

        var codes = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(c => c.ToLowerInvariant()).Distinct().ToList();
        if (codes.Count == 0 || codes.Any(c => c.Length is < 2 or > 3 || !c.All(char.IsAsciiLetterLower)))
        {
            throw new StartupSettingException(
                "Setting 'Languages__Supported' is malformed: expected comma-separated language codes such as en,ro,uk.");
        }

        return new LanguageSettings(codes);
    }
}

using System.Globalization;

namespace Hotline.Functions.Hosting;

/// <summary>Typed query-string values; a malformed one is a 400 naming the parameter (answered by <see cref="HttpHardening"/>).</summary>
public static class QueryValues
{
    public static string? Text(this HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    public static DateTimeOffset? Time(this HttpRequest request, string name) =>
        request.Text(name) is not { } text ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value) ? value
        : throw Malformed(name, "a date and time such as 2026-11-30T08:00:00Z");

    public static bool? Flag(this HttpRequest request, string name) =>
        request.Text(name) is not { } text ? null
        : bool.TryParse(text, out var value) ? value
        : throw Malformed(name, "true or false");

    private static BadHttpRequestException Malformed(string name, string expected) =>
        new($"The query parameter '{name}' must be {expected}.", StatusCodes.Status400BadRequest);
}

using System.Collections;
using System.Globalization;
using System.Text;
using Hotline.Privacy;

namespace Hotline.Functions.Observability;

/// <summary>
/// The last line of defence for caller privacy in logs. Every logger provider the app has (console, OpenTelemetry,
/// anything added later) is wrapped, so no provider ever sees an unscrubbed entry: values under sensitive names
/// (Body, Text, From, To, Phone...) are masked whole, every other value and the rendered message have phone-number
/// shapes masked, and exceptions are replaced by a scrubbed copy. Code should not log such data in the first place;
/// this makes a mistake harmless.
/// </summary>
public static class LogRedaction
{
    private static readonly HashSet<string> SensitiveNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "Body", "Text", "MessageText", "MessageBody", "Message.Body", "From", "To", "Caller", "CallerNumber",
        "Phone", "PhoneNumber", "ReplyAddress",
    };

    /// <summary>Wraps every <see cref="ILoggerProvider"/> registered so far. Call after all logging is configured.</summary>
    public static IServiceCollection RedactAllLogProviders(this IServiceCollection services)
    {
        for (var i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType != typeof(ILoggerProvider) || descriptor.IsKeyedService)
            {
                continue;
            }

            services[i] = ServiceDescriptor.Singleton<ILoggerProvider>(
                sp => new RedactingLoggerProvider(CreateInner(sp, descriptor)));
        }

        return services;
    }

    private static ILoggerProvider CreateInner(IServiceProvider sp, ServiceDescriptor descriptor) =>
        descriptor switch
        {
            { ImplementationInstance: ILoggerProvider instance } => instance,
            { ImplementationFactory: { } factory } => (ILoggerProvider)factory(sp),
            { ImplementationType: { } type } => (ILoggerProvider)ActivatorUtilities.CreateInstance(sp, type),
            _ => throw new InvalidOperationException("Unsupported logger provider registration."),
        };

    internal static bool IsSensitiveName(string name) => SensitiveNames.Contains(name);

    internal static object? RedactValue(string name, object? value) => value switch
    {
        null => null,
        _ when IsSensitiveName(name) => SensitiveDataScrubber.TextMask,
        SensitiveText => SensitiveDataScrubber.TextMask,
        string s => SensitiveDataScrubber.Scrub(s),
        // Small numbers and measurements cannot be phone numbers; long integers can, so they are scrubbed below.
        bool or int or short or byte or double or float or decimal or Guid or TimeSpan or DateTime or DateTimeOffset
            or Enum => value,
        IEnumerable e and not IDictionary => SensitiveDataScrubber.Scrub(string.Join(", ", e.Cast<object?>())),
        IFormattable f => SensitiveDataScrubber.Scrub(f.ToString(null, CultureInfo.InvariantCulture)),
        _ => SensitiveDataScrubber.Scrub(value.ToString()),
    };

    /// <summary>
    /// Renders a message template ("Sent {Count} to {Queue}") with already-redacted values. The template's own text
    /// is scrubbed too: an interpolated string passed as the message arrives as a template with the data inside.
    /// </summary>
    internal static string Render(string template, IReadOnlyList<KeyValuePair<string, object?>> values)
    {
        var lookup = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in values)
        {
            lookup.TryAdd(key, value);
        }

        var result = new StringBuilder(template.Length + 32);
        var literal = new StringBuilder();
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if ((c == '{' || c == '}') && i + 1 < template.Length && template[i + 1] == c)
            {
                literal.Append(c);
                i++;
            }
            else if (c == '{' && template.IndexOf('}', i) is var end and > 0)
            {
                result.Append(SensitiveDataScrubber.Scrub(literal.ToString()));
                literal.Clear();
                var name = template[(i + 1)..end].Split(':', ',')[0].TrimStart('@', '$');
                result.Append(lookup.TryGetValue(name, out var v)
                    ? Convert.ToString(v, CultureInfo.InvariantCulture) ?? "(null)"
                    : "(?)");
                i = end;
            }
            else
            {
                literal.Append(c);
            }
        }

        result.Append(SensitiveDataScrubber.Scrub(literal.ToString()));
        return result.ToString();
    }
}

internal sealed class RedactingLoggerProvider(ILoggerProvider inner) : ILoggerProvider, ISupportExternalScope
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

    public void SetScopeProvider(IExternalScopeProvider scopeProvider)
    {
        if (inner is ISupportExternalScope scoped)
        {
            scoped.SetScopeProvider(new RedactingScopeProvider(scopeProvider));
        }
    }

    public void Dispose() => inner.Dispose();
}

internal sealed class RedactingLogger(ILogger inner) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(RedactedState.From(state));

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }

        var redacted = RedactedState.From(state, exception, formatter);
        inner.Log(logLevel, eventId, redacted, RedactedException.From(exception), static (s, _) => s.Message);
    }
}

/// <summary>Scopes reach providers through the scope provider too; redact them on the way.</summary>
internal sealed class RedactingScopeProvider(IExternalScopeProvider inner) : IExternalScopeProvider
{
    public void ForEachScope<TState>(Action<object?, TState> callback, TState state) =>
        inner.ForEachScope((scope, s) => callback(scope is null ? null : RedactedState.From(scope), s), state);

    public IDisposable Push(object? state) => inner.Push(state is null ? null : RedactedState.From(state));
}

/// <summary>A log state whose values and message are already scrubbed. Providers see only this.</summary>
internal sealed class RedactedState : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly List<KeyValuePair<string, object?>> _values;

    private RedactedState(List<KeyValuePair<string, object?>> values, string message)
    {
        _values = values;
        Message = message;
    }

    public string Message { get; }

    public int Count => _values.Count;

    public KeyValuePair<string, object?> this[int index] => _values[index];

    public static RedactedState From(object state) =>
        state as RedactedState ?? From(state, null, static (s, _) => s.ToString() ?? string.Empty);

    public static RedactedState From<TState>(TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state is null ? [] : RedactPairs(state);
        var template = values.FirstOrDefault(kv => kv.Key == "{OriginalFormat}").Value as string;
        var message = template is not null
            ? LogRedaction.Render(template, values)
            : SensitiveDataScrubber.Scrub(formatter(state, exception));
        return new RedactedState(values, message);
    }

    private static List<KeyValuePair<string, object?>> RedactPairs(object state)
    {
        var result = new List<KeyValuePair<string, object?>>();
        if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            foreach (var (key, value) in pairs)
            {
                // The template is scrubbed too: an interpolated message arrives as a template with the data inside.
                result.Add(new(key, key == "{OriginalFormat}"
                    ? SensitiveDataScrubber.Scrub(value as string)
                    : LogRedaction.RedactValue(key, value)));
            }
        }

        return result;
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => Message;
}

/// <summary>An exception with its messages and stack scrubbed; keeps the original type name for diagnosis.</summary>
internal sealed class RedactedException : Exception
{
    private readonly string _text;

    private RedactedException(Exception original)
        : base(SensitiveDataScrubber.Scrub(original.Message))
    {
        OriginalType = original.GetType().FullName ?? original.GetType().Name;
        _text = SensitiveDataScrubber.Scrub(original.ToString());
    }

    public string OriginalType { get; }

    public override string? StackTrace => null;

    public static Exception? From(Exception? exception) =>
        exception is null or RedactedException ? exception : new RedactedException(exception);

    public override string ToString() => _text;
}

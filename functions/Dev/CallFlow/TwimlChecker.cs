using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace Hotline.Functions.Dev.CallFlow;

/// <summary>
/// Checks a voice TwiML answer against what Twilio documents (<see cref="DocumentedTwiml"/>): well-formed XML, a
/// &lt;Response&gt; root, only documented verbs and nouns where they may stand, only documented attributes, and values
/// inside the documented set where that set is closed. Twilio itself only fails at call time (an "application error"
/// the caller hears), so every answer a test sees goes through here first.
/// </summary>
public static class TwimlChecker
{
    /// <summary>Twilio rings at most ten numbers at once.</summary>
    public const int MaxNumbersPerDial = 10;

    /// <summary>An &lt;Enqueue waitUrl&gt; document: Play, Say, Pause, Hangup, Redirect, Leave, Gather only.</summary>
    public const string WaitUrlDocument = "waitUrl";

    /// <summary>A &lt;Queue url&gt; document, played to the dequeued caller: Play, Say, Pause, Redirect only.</summary>
    public const string QueueUrlDocument = "queueUrl";

    private static readonly char[] ListSeparators = [' ', ','];

    /// <summary>Every problem found, one sentence each; empty when the document is fine.</summary>
    /// <param name="kind">Null for a voice document; <see cref="WaitUrlDocument"/> or <see cref="QueueUrlDocument"/>
    /// for the documents where Twilio allows only some verbs.</param>
    public static IReadOnlyList<string> Problems(string twiml, string? kind = null)
    {
        XDocument document;
        try
        {
            document = XDocument.Parse(twiml, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            return [$"not well-formed XML: {e.Message}"];
        }

        var problems = new List<string>();
        var root = document.Root!;
        if (root.Name != "Response")
        {
            problems.Add($"{Where(root)}the root element is <{root.Name}>, not <Response>");
            return problems;
        }

        CheckElement(root, DocumentedTwiml.Voice, problems);
        if (kind is not null)
        {
            var allowed = DocumentedTwiml.Voice.Documents[kind].Verbs;
            foreach (var verb in root.Elements().Where(v => !allowed.Contains(Name(v))))
            {
                problems.Add($"{Where(verb)}<{Name(verb)}> is not allowed in a {kind} document (only {string.Join(", ", allowed)})");
            }
        }

        return problems;
    }

    /// <summary>Throws <see cref="TwimlProblemsException"/> listing every problem, if there is any.</summary>
    public static void Ensure(string twiml, string? kind = null)
    {
        var problems = Problems(twiml, kind);
        if (problems.Count > 0)
        {
            throw new TwimlProblemsException(problems, twiml);
        }
    }

    private static void CheckElement(XElement element, DocumentedTwiml documented, List<string> problems)
    {
        var name = element.Name.LocalName;
        var rule = documented.Elements[name];
        CheckAttributes(element, rule, problems);
        CheckText(element, rule, problems);
        if (name == "Dial" && element.Elements("Number").Count() > MaxNumbersPerDial)
        {
            problems.Add($"{Where(element)}<Dial> rings at most {MaxNumbersPerDial} <Number> nouns at once");
        }

        foreach (var child in element.Elements())
        {
            var childName = Name(child);
            if (!documented.Elements.ContainsKey(childName))
            {
                problems.Add($"{Where(child)}<{childName}> is not a documented TwiML voice verb or noun");
            }
            else if (!rule.Children.Contains(childName))
            {
                problems.Add($"{Where(child)}<{childName}> is not allowed inside <{name}>");
            }
            else
            {
                CheckElement(child, documented, problems);
            }
        }
    }

    private static void CheckAttributes(XElement element, ElementRule rule, List<string> problems)
    {
        foreach (var attribute in element.Attributes().Where(a => !a.IsNamespaceDeclaration))
        {
            var name = attribute.Name.Namespace == XNamespace.Xml ? "xml:" + attribute.Name.LocalName : Name(attribute.Name);
            if (!rule.Attributes.TryGetValue(name, out var attributeRule))
            {
                problems.Add($"{Where(element)}attribute '{name}' is not documented for <{element.Name.LocalName}>");
            }
            else if (ValueProblem(attribute.Value, attributeRule) is { } problem)
            {
                problems.Add($"{Where(element)}<{element.Name.LocalName} {name}=\"{attribute.Value}\">: {problem}");
            }
        }
    }

    /// <summary>Why the value is outside the documented set, or null when it is fine (or the set is open).</summary>
    private static string? ValueProblem(string value, AttributeRule rule) => rule.Type switch
    {
        "enum" => rule.Values!.Contains(value) ? null : $"must be one of {string.Join(", ", rule.Values!)}",
        "enum-list" => value.Split(ListSeparators, StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } items && items.All(rule.Values!.Contains)
            ? null
            : $"must be one or more of {string.Join(", ", rule.Values!)}",
        "integer" => IntegerProblem(value, rule),
        "integer-or-auto" => value == "auto" ? null : IntegerProblem(value, rule) is null ? null : "must be 'auto' or a whole number of seconds",
        "pattern" => Regex.IsMatch(value, rule.Pattern!, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)) ? null : $"must match {rule.Pattern}",
        "url" => value.Length > 0 && Uri.TryCreate(value, UriKind.RelativeOrAbsolute, out _) ? null : "must be a relative or absolute URL",
        _ => null,
    };

    private static string? IntegerProblem(string value, AttributeRule rule)
    {
        // Digits only: Twilio's values are plain whole numbers, no sign, no spaces.
        if (value.Length == 0 || !value.All(char.IsAsciiDigit) || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return rule.Min is > 0 ? "must be a positive whole number" : "must be a whole number";
        }

        if (number < rule.Min || number > rule.Max)
        {
            return rule.Max is null ? $"must be at least {rule.Min}" : $"must be between {rule.Min} and {rule.Max}";
        }

        return null;
    }

    private static void CheckText(XElement element, ElementRule rule, List<string> problems)
    {
        var hasText = element.Nodes().OfType<XText>().Any(t => !string.IsNullOrWhiteSpace(t.Value));
        var name = element.Name.LocalName;
        if (rule.Text == "none" && hasText)
        {
            problems.Add($"{Where(element)}<{name}> takes no text");
        }
        else if (rule.Text == "required" && !hasText && !element.HasElements)
        {
            problems.Add($"{Where(element)}<{name}> needs text ({TextMeaning(name)})");
        }
        else if (name == "Play" && !hasText && element.Attribute("digits") is null)
        {
            problems.Add($"{Where(element)}<Play> needs an audio URL or a digits attribute");
        }
    }

    private static string TextMeaning(string name) => name switch
    {
        "Say" => "what to say",
        "Redirect" => "the URL to fetch",
        "Number" => "the phone number",
        _ => "its value",
    };

    private static string Name(XElement element) => Name(element.Name);

    // Twilio's elements carry no namespace; a namespaced one (e.g. SSML's amazon:effect) is shown with its namespace.
    private static string Name(XName name) => name.Namespace == XNamespace.None ? name.LocalName : name.ToString();

    private static string Where(XElement element) =>
        ((IXmlLineInfo)element).HasLineInfo() ? $"line {((IXmlLineInfo)element).LineNumber.ToString(CultureInfo.InvariantCulture)}: " : string.Empty;
}

/// <summary>A TwiML answer Twilio would not run as written; <see cref="Problems"/> lists why.</summary>
public sealed class TwimlProblemsException : Exception
{
    public TwimlProblemsException()
    {
    }

    public TwimlProblemsException(string message)
        : base(message)
    {
    }

    public TwimlProblemsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TwimlProblemsException(IReadOnlyList<string> problems, string twiml)
        : base($"The TwiML answer has {problems.Count} problem(s):{Environment.NewLine}- {string.Join(Environment.NewLine + "- ", problems)}{Environment.NewLine}{twiml}")
    {
        Problems = problems;
    }

    public IReadOnlyList<string> Problems { get; } = [];
}

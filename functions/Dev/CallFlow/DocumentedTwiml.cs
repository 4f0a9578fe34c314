using System.Text.Json;

namespace Hotline.Functions.Dev.CallFlow;

/// <summary>How one attribute's value is checked (see the "about" text of twiml-voice-documented.json).</summary>
public sealed record AttributeRule(string Type, IReadOnlyList<string>? Values = null, int? Min = null, int? Max = null, string? Pattern = null);

/// <summary>One documented verb or noun: the elements allowed inside it, whether it takes text, its attributes.</summary>
public sealed record ElementRule(string Text, IReadOnlyList<string> Children, IReadOnlyDictionary<string, AttributeRule> Attributes);

/// <summary>A kind of document in which Twilio allows only some verbs (e.g. an &lt;Enqueue waitUrl&gt; document).</summary>
public sealed record DocumentRule(IReadOnlyList<string> Verbs, string Source);

/// <summary>
/// The TwiML voice verbs and nouns Twilio documents, read from twiml-voice-documented.json (embedded in the assembly
/// so it is found wherever the app or the tests run).
/// </summary>
public sealed class DocumentedTwiml
{
    private const string ResourceName = "Hotline.Functions.Dev.CallFlow.twiml-voice-documented.json";

    private static readonly Lazy<DocumentedTwiml> Loaded = new(Load);

    private DocumentedTwiml(IReadOnlyDictionary<string, ElementRule> elements, IReadOnlyDictionary<string, DocumentRule> documents)
    {
        Elements = elements;
        Documents = documents;
    }

    public static DocumentedTwiml Voice => Loaded.Value;

    /// <summary>By element name, as written in TwiML (case matters: Twilio's names are case-sensitive XML).</summary>
    public IReadOnlyDictionary<string, ElementRule> Elements { get; }

    /// <summary>By kind (waitUrl, queueUrl): the verbs Twilio allows directly in such a document's &lt;Response&gt;.</summary>
    public IReadOnlyDictionary<string, DocumentRule> Documents { get; }

    private static DocumentedTwiml Load()
    {
        using var stream = typeof(DocumentedTwiml).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{ResourceName} is not embedded in {typeof(DocumentedTwiml).Assembly.GetName().Name}.");
        var file = JsonSerializer.Deserialize<DocumentedFile>(stream, new JsonSerializerOptions(JsonSerializerDefaults.Web))
            ?? throw new InvalidOperationException($"{ResourceName} is empty.");
        return new DocumentedTwiml(file.Elements, file.Documents ?? []);
    }

    private sealed record DocumentedFile(Dictionary<string, ElementRule> Elements, Dictionary<string, DocumentRule>? Documents);
}

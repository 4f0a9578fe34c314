using System.Text.Json;
using Hotline.Escalations;

namespace Hotline.Messaging;

/// <summary>Every text the hotline sends to a caller. Each language has one JSON file with all of them.</summary>
public enum CallerText
{
    Acknowledgement,
    LanguageMenu,
    LanguageSwitched,
    OutOfHours,
    CallbackConfirmation,
    Help,
    StopConfirmation,
    StartConfirmation,
    DeleteConfirmation,

    // Asking for a callback by message (Hotline.Callbacks.SmsCallbackExchange), a question at a time.
    CallbackAskNumber,
    CallbackNumberNotANumber,
    CallbackNumberWrongLength,
    CallbackNumberNotCallable,
    CallbackAskWhen,
    CallbackWhenNotUnderstood,
    CallbackAskMessage,
    CallbackAskWord,
    CallbackSummary,
    CallbackMessageYes,
    CallbackMessageNo,
    CallbackWordSet,
    CallbackWordNone,
    CallbackConfirmed,
    CallbackCancelled,

    // What a caller is told when nobody on call and present speaks their language (see ConversationRouter.ExpectedTier).
    AcknowledgementInterpreter,
    AcknowledgementOtherLanguage,
    ChatAcknowledgementInterpreter,
    ChatAcknowledgementOtherLanguage,
    LanguageSwitchedInterpreter,
    LanguageSwitchedOtherLanguage,

    /// <summary>Once, to a caller nobody has answered for a while: they are not forgotten.</summary>
    HoldingMessage,

    // The web chat page.
    ChatHeading,
    ChatIntro,
    ChatLanguageLabel,
    ChatStart,
    ChatMessageLabel,
    ChatSend,
    ChatQuickExit,
    ChatQuickExitHint,
    ChatAcknowledgement,
    ChatOutOfHours,
    ChatCounsellor,
    ChatYou,
    ChatTooLong,
    ChatTooFast,
    ChatSendFailed,
    ChatLeave,
    ChatEnded,
    ChatCharactersLeft,
    ChatSentInParts,
    ChatNotSentYet,
    ChatWaitingToSend,
    ChatNoConnection,

    // The chat page's callback form: never the number or code word in any of them.
    ChatCallbackAsk,
    ChatCallbackOffer,
    ChatCallbackHeading,
    ChatCallbackIntro,
    ChatCallbackNumberLabel,
    ChatCallbackNumberHint,
    ChatCallbackWhenLabel,
    ChatCallbackWhenHint,
    ChatCallbackMorning,
    ChatCallbackAfternoon,
    ChatCallbackEvening,
    ChatCallbackMessageLabel,
    ChatCallbackMessageNo,
    ChatCallbackMessageYes,
    ChatCallbackCodeWordLabel,
    ChatCallbackCodeWordHint,
    ChatCallbackSend,
    ChatCallbackCancel,

    /// <summary>Says her times back ({Windows}); discreet, never her number or code word.</summary>
    ChatCallbackSent,
    ChatCallbackNumberMissing,
    ChatCallbackNumberCountryCode,
    ChatCallbackNumberNotPersonal,
    ChatCallbackNumberCheck,
    ChatCallbackWhenNotUnderstood,
    ChatCallbackWhenPassed,
    ChatCallbackNoChat,

    // The voice line's spoken prompts (Hotline.Functions.Voice). A language without a Twilio voice plays recordings
    // of these texts instead.
    VoiceLanguageMenuOption,
    VoiceStarKey,
    VoiceHashKey,
    VoiceSafety,
    VoiceWaiting,
    VoiceNobodyAnswered,
    VoiceVoicemailInstructions,
    VoiceVoicemailSaved,
    VoiceCallbackNoted,
    VoiceGoodbye,
    VoiceNoChoice,
    VoiceCallbackMornings,
    VoiceCallbackAfternoons,
    VoiceCallbackEvenings,
    VoiceCallbackAnyTime,
    VoiceCallbackMessage,
    VoiceCallbackNoNumber,
    VoiceCallbackConfirmed,
    VoiceCallbackNotArranged,
}

/// <summary>
/// The caller-facing texts, read from one JSON file per language (<c>Texts/&lt;code&gt;.json</c>) that an NGO can
/// edit without rebuilding the app. English is the fallback. A file marked with a <c>_review</c> note other than
/// "original" is a machine-made translation waiting for a native speaker.
/// </summary>
public sealed class CallerTexts
{
    public const string FallbackLanguage = "en";
    private const string ReviewedMarker = "original";

    private readonly Dictionary<string, LanguageTexts> _languages;

    private CallerTexts(Dictionary<string, LanguageTexts> languages) => _languages = languages;

    public IReadOnlyCollection<string> Languages => _languages.Keys;

    /// <summary>Loads every <c>*.json</c> in <paramref name="folder"/>; throws <see cref="CallerTextsException"/> naming the file and key at fault.</summary>
    public static CallerTexts Load(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new CallerTextsException($"The caller texts folder '{folder}' does not exist.");
        }

        var languages = new Dictionary<string, LanguageTexts>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            var code = Path.GetFileNameWithoutExtension(file).ToLowerInvariant();
            languages[code] = LanguageTexts.Parse(file);
        }

        if (!languages.ContainsKey(FallbackLanguage))
        {
            throw new CallerTextsException($"The caller texts folder '{folder}' has no {FallbackLanguage}.json (the fallback).");
        }

        return new CallerTexts(languages);
    }

    public bool Has(string language) => _languages.ContainsKey(language);

    /// <summary>The language's name for itself, e.g. "Română".</summary>
    public string LanguageName(string language) => For(language).Name;

    public bool NeedsReview(string language) => For(language).Review != ReviewedMarker;

    public string Get(string language, CallerText text, IReadOnlyDictionary<string, string>? values = null)
    {
        var template = For(language).Texts[text];
        if (values is not null)
        {
            foreach (var (name, value) in values)
            {
                template = template.Replace("{" + name + "}", value, StringComparison.Ordinal);
            }
        }

        return template;
    }

    /// <summary>The menu of languages in <paramref name="language"/>, one "CODE Name" line per offered language.</summary>
    public string LanguageMenu(string language, IEnumerable<string> offered)
    {
        var lines = offered.Where(Has).Select(code => $"{code.ToUpperInvariant()} {LanguageName(code)}");
        return Get(language, CallerText.LanguageMenu, new Dictionary<string, string> { ["Menu"] = string.Join('\n', lines) });
    }

    public IReadOnlyList<string> DeleteKeywords(string language) => For(language).DeleteKeywords;

    /// <summary>The words that start a callback request by message in this language (upper case; may be empty).</summary>
    public IReadOnlyList<string> CallbackKeywords(string language) => For(language).CallbackKeywords;

    /// <summary>The language's words for one answer in a callback request by message (upper case; may be empty).</summary>
    public IReadOnlyList<string> CallbackAnswerWords(string language, CallbackAnswer answer) =>
        For(language).CallbackAnswers.GetValueOrDefault(answer) ?? [];

    /// <summary>
    /// Words and phrases that suggest an emergency in this language, each with the situation it signals (optional in
    /// a file; may be empty).
    /// </summary>
    public IReadOnlyList<DangerPhrase> DangerWords(string language) =>
        _languages.TryGetValue(language, out var texts) ? texts.DangerWords : [];

    private LanguageTexts For(string language) =>
        _languages.TryGetValue(language, out var texts) ? texts : _languages[FallbackLanguage];

    private sealed record LanguageTexts(
        string Name, string Review, IReadOnlyDictionary<CallerText, string> Texts, IReadOnlyList<string> DeleteKeywords,
        IReadOnlyList<DangerPhrase> DangerWords)
    {
        public IReadOnlyList<string> CallbackKeywords { get; init; } = [];

        public IReadOnlyDictionary<CallbackAnswer, IReadOnlyList<string>> CallbackAnswers { get; init; } =
            new Dictionary<CallbackAnswer, IReadOnlyList<string>>();

        public static LanguageTexts Parse(string file)
        {
            var name = Path.GetFileName(file);
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                root = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new CallerTextsException($"{name} is not valid JSON: {e.Message}");
            }

            string Required(string key) =>
                root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString())
                    ? v.GetString()!
                    : throw new CallerTextsException($"{name}: '{key}' is missing or empty.");

            var texts = Enum.GetValues<CallerText>().ToDictionary(t => t, t => Required(t.ToString()));
            foreach (var (text, placeholder) in RequiredPlaceholders)
            {
                if (!texts[text].Contains(placeholder, StringComparison.Ordinal))
                {
                    throw new CallerTextsException($"{name}: '{text}' must contain {placeholder}.");
                }
            }

            var keywords = root.TryGetProperty("DeleteKeywords", out var k) && k.ValueKind == JsonValueKind.Array
                ? k.EnumerateArray().Select(x => x.GetString()?.Trim().ToUpperInvariant()).OfType<string>().Where(x => x.Length > 0).ToList()
                : throw new CallerTextsException($"{name}: 'DeleteKeywords' must be a list of words.");

            var danger = root.TryGetProperty("DangerWords", out var d) ? ParseDangerWords(name, d) : [];

            // Optional: English's callback words are understood in every language.
            var callbackKeywords = root.TryGetProperty("CallbackKeywords", out var c) ? WordList(name, "CallbackKeywords", c) : [];
            var answers = new Dictionary<CallbackAnswer, IReadOnlyList<string>>();
            if (root.TryGetProperty("CallbackAnswerWords", out var a))
            {
                if (a.ValueKind != JsonValueKind.Object)
                {
                    throw new CallerTextsException($"{name}: 'CallbackAnswerWords' must map each answer ({string.Join(", ", Enum.GetNames<CallbackAnswer>())}) to a list of words.");
                }

                foreach (var entry in a.EnumerateObject())
                {
                    answers[Enum.TryParse<CallbackAnswer>(entry.Name, out var answer) && Enum.IsDefined(answer)
                        ? answer
                        : throw new CallerTextsException($"{name}: 'CallbackAnswerWords' has '{entry.Name}', which is not one of {string.Join(", ", Enum.GetNames<CallbackAnswer>())}.")]
                        = WordList(name, "CallbackAnswerWords." + entry.Name, entry.Value);
                }
            }

            return new LanguageTexts(Required("_language"), Required("_review"), texts, keywords, danger)
            {
                CallbackKeywords = callbackKeywords,
                CallbackAnswers = answers,
            };
        }

        private static List<string> WordList(string name, string key, JsonElement list)
        {
            if (list.ValueKind != JsonValueKind.Array || list.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
            {
                throw new CallerTextsException($"{name}: '{key}' must be a list of words.");
            }

            return list.EnumerateArray().Select(x => x.GetString()!.Trim().ToUpperInvariant()).Where(x => x.Length > 0).ToList();
        }

        // { "held-against-will": ["locked in", …], "violence-now": […], … }: each phrase carries its situation.
        private static List<DangerPhrase> ParseDangerWords(string name, JsonElement section)
        {
            var situations = string.Join(", ", DangerSituations.All.Select(s => s.Id()));
            if (section.ValueKind != JsonValueKind.Object)
            {
                throw new CallerTextsException($"{name}: 'DangerWords' must map each situation ({situations}) to a list of words or phrases.");
            }

            var phrases = new List<DangerPhrase>();
            foreach (var entry in section.EnumerateObject())
            {
                var situation = DangerSituations.FromId(entry.Name)
                    ?? throw new CallerTextsException($"{name}: 'DangerWords' has '{entry.Name}', which is not one of {situations}.");
                if (entry.Value.ValueKind != JsonValueKind.Array || entry.Value.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
                {
                    throw new CallerTextsException($"{name}: 'DangerWords.{entry.Name}' must be a list of words or phrases.");
                }

                phrases.AddRange(entry.Value.EnumerateArray().Select(x => x.GetString()!.Trim()).Where(x => x.Length > 0)
                    .Select(x => new DangerPhrase(x, situation)));
            }

            return phrases;
        }
    }

    private static readonly (CallerText Text, string Placeholder)[] RequiredPlaceholders =
    [
        (CallerText.Acknowledgement, "{Language}"),
        (CallerText.LanguageSwitched, "{Language}"),
        (CallerText.LanguageMenu, "{Menu}"),
        (CallerText.OutOfHours, "{EmergencyNumber}"),
        (CallerText.ChatAcknowledgement, "{Language}"),
        (CallerText.ChatOutOfHours, "{EmergencyNumber}"),
        (CallerText.ChatTooLong, "{Limit}"),
        (CallerText.ChatCharactersLeft, "{Count}"),
        (CallerText.ChatSentInParts, "{Parts}"),
        (CallerText.AcknowledgementInterpreter, "{Language}"),
        (CallerText.AcknowledgementOtherLanguage, "{Language}"),
        (CallerText.ChatAcknowledgementInterpreter, "{Language}"),
        (CallerText.ChatAcknowledgementOtherLanguage, "{Language}"),
        (CallerText.LanguageSwitchedInterpreter, "{Language}"),
        (CallerText.LanguageSwitchedOtherLanguage, "{Language}"),
        (CallerText.HoldingMessage, "{EmergencyNumber}"),
        (CallerText.VoiceLanguageMenuOption, "{Digit}"),
        (CallerText.VoiceNobodyAnswered, "{EmergencyNumber}"),
    ];
}

public sealed class CallerTextsException(string message) : Exception(message);

/// <summary>The answers a caller gives by keyword while asking for a callback by message.</summary>
public enum CallbackAnswer
{
    /// <summary>Confirms what was read back, or takes the number she is writing from.</summary>
    Ok,
    Skip,
    Yes,
    No,
    Cancel,

    /// <summary>At the confirmation: change the number (and likewise the next three).</summary>
    Number,
    Time,
    Message,
    Word,
}

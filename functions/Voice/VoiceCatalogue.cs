using System.Globalization;
using Hotline.Functions.Configuration;
using Hotline.Messaging;
using Twilio.TwiML.Voice;

namespace Hotline.Functions.Voice;

/// <summary>What the voice line says to a caller, in the caller's language.</summary>
public enum VoicePrompt
{
    LanguageMenuOption,
    Safety,
    Waiting,
    NobodyAnswered,
    VoicemailInstructions,
    VoicemailSaved,
    CallbackNoted,
    Goodbye,
    NoChoice,
    CallbackMornings,
    CallbackAfternoons,
    CallbackEvenings,
    CallbackAnyTime,
    CallbackMessage,
    CallbackNoNumber,
    CallbackConfirmed,
    CallbackNotArranged,
}

/// <summary>One option of the keypad language menu: the key to press and the language it chooses.</summary>
public sealed record VoiceMenuEntry(string Key, string Language);

/// <summary>Spoken by a Twilio text-to-speech voice, or played from a recording the NGO provides.</summary>
public enum PromptDelivery
{
    Spoken,
    Played,
}

/// <summary>A Twilio voice and the value of <c>&lt;Say language&gt;</c> that goes with it.</summary>
public sealed record TwilioVoice(string Name, string Locale);

/// <summary>A recorded prompt on disk and the content type it is served with.</summary>
public sealed record VoiceRecording(string Path, string ContentType);

/// <summary>
/// The voice line's prompts and how each is delivered. Every language the hotline serves is either spoken by a Twilio
/// voice (<c>Voice__Voices</c>, checked against <c>Voice/twilio-voices.tsv</c>) or played from recordings
/// (<c>Voice__RecordingsFolder</c>/&lt;language&gt;/&lt;prompt&gt;.mp3 or .wav), checked at start-up: no language is
/// ever silent. The keypad language menu (<c>Voice__Menu</c>) speaks each option in its own language.
/// Counsellor-facing prompts (the whisper) are in English, the staff language, with <c>Voice__StaffVoice</c>.
/// </summary>
public sealed class VoiceCatalogue
{
    /// <summary>The route the recordings are served on (see <see cref="VoiceRecordingsFunction"/>).</summary>
    public const string RecordingsRoute = "api/voice/recordings";

    /// <summary>The keys the prompts name: the texts say these digits, so the call flow must use them.</summary>
    public const string DangerKey = "9";

    public const string LeaveMessageKey = "1";
    public const string CallbackKey = "2";

    /// <summary>
    /// The safe times offered for a callback, in the order they are said: each prompt says its key, which is the
    /// keypad preset of the same words (<see cref="Hotline.Callbacks.KeypadPresets.Defaults"/>: 1 morning, 2 afternoon,
    /// 3 evening, 4 any time).
    /// </summary>
    public static readonly IReadOnlyList<(char Key, VoicePrompt Prompt)> CallbackTimes =
    [
        ('1', VoicePrompt.CallbackMornings),
        ('2', VoicePrompt.CallbackAfternoons),
        ('3', VoicePrompt.CallbackEvenings),
        ('4', VoicePrompt.CallbackAnyTime),
    ];

    /// <summary>After the time: 1 if a message may be left when she does not answer; anything else (or nothing) is no.</summary>
    public const string MayLeaveMessageKey = "1";

    /// <summary>The key a counsellor presses to accept a call after the whisper.</summary>
    public const string AcceptKey = "1";

    /// <summary>A telephone keypad: twelve keys, so at most twelve languages in one menu.</summary>
    public const string KeypadKeys = "1234567890*#";

    public const string DefaultStaffVoice = "Google.en-GB-Standard-A";

    /// <summary>The voices used when <c>Voice__Voices</c> does not name one. Albanian has none: no Twilio voice speaks it.</summary>
    public static readonly IReadOnlyDictionary<string, string> DefaultVoices = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["en"] = "Google.en-GB-Standard-A",
        ["ro"] = "Google.ro-RO-Standard-A",
        ["bg"] = "Google.bg-BG-Standard-A",
        ["ru"] = "Google.ru-RU-Standard-A",
        ["uk"] = "Google.uk-UA-Standard-A",
        ["pl"] = "Google.pl-PL-Standard-A",
        ["sr"] = "Google.sr-RS-Standard-A",
        ["es"] = "Google.es-ES-Standard-A",
        ["fr"] = "Google.fr-FR-Standard-A",
        ["zh"] = "Google.cmn-CN-Standard-A",
        ["ar"] = "Google.ar-XA-Standard-A",
    };

    private static readonly Dictionary<string, string> AudioTypes = new(StringComparer.Ordinal)
    {
        [".mp3"] = "audio/mpeg",
        [".wav"] = "audio/wav",
    };

    private readonly IReadOnlyDictionary<string, TwilioVoice> _voices;
    private readonly TwilioVoice _staffVoice;
    private readonly Dictionary<string, Dictionary<string, VoiceRecording>> _recordings; // by language, then name
    private readonly Lazy<CallerTexts> _texts;
    private readonly string _emergencyNumber;

    private VoiceCatalogue(
        IReadOnlyList<VoiceMenuEntry> menu, string defaultLanguage, IReadOnlyList<string> languages, IReadOnlyDictionary<string, TwilioVoice> voices,
        TwilioVoice staffVoice, Dictionary<string, Dictionary<string, VoiceRecording>> recordings, Func<CallerTexts> texts, string emergencyNumber)
    {
        Menu = menu;
        DefaultLanguage = defaultLanguage;
        Languages = languages;
        _voices = voices;
        _staffVoice = staffVoice;
        _recordings = recordings;
        _texts = new Lazy<CallerTexts>(texts, LazyThreadSafetyMode.ExecutionAndPublication);
        _emergencyNumber = emergencyNumber;
    }

    /// <summary>The keypad language menu, in the order it is spoken.</summary>
    public IReadOnlyList<VoiceMenuEntry> Menu { get; }

    /// <summary>The language of a caller who chose none (<c>Voice__DefaultLanguage</c>).</summary>
    public string DefaultLanguage { get; }

    /// <summary>The languages the voice line serves: every supported language, each spoken or played.</summary>
    public IReadOnlyList<string> Languages { get; }

    /// <summary>The voice that speaks a language, or null for a language played from recordings.</summary>
    public TwilioVoice? VoiceOf(string language) => _voices.GetValueOrDefault(language);

    public TwilioVoice StaffVoice => _staffVoice;

    /// <summary>Reads and checks the voice settings; throws <see cref="StartupSettingException"/> naming the setting at fault.</summary>
    public static VoiceCatalogue Read(
        IConfiguration configuration, IHostEnvironment environment, LanguageSettings languages, CallerTexts texts, string emergencyNumber) =>
        Read(configuration, environment, languages, () => texts, emergencyNumber);

    /// <summary>
    /// The same, with the caller texts read on the first spoken prompt rather than now: everything this checks at
    /// start-up (settings, the voice list, the recordings) needs no texts, and the cold start stays free of them.
    /// </summary>
    public static VoiceCatalogue Read(
        IConfiguration configuration, IHostEnvironment environment, LanguageSettings languages, Func<CallerTexts> texts, string emergencyNumber)
    {
        var reader = new SettingReader(configuration);
        var supported = languages.Supported;
        var documented = TwilioVoiceList.Load(Path.Combine(AppContext.BaseDirectory, "Voice", TwilioVoiceList.FileName));

        var voices = ReadVoices(reader.String("Voice:Voices"), supported, documented);
        var staff = ReadStaffVoice(reader.String("Voice:StaffVoice"), documented);
        var menu = ReadMenu(reader.String("Voice:Menu"), supported);

        var defaultLanguage = reader.String("Voice:DefaultLanguage")?.ToLowerInvariant() ?? (supported.Contains("en") ? "en" : supported[0]);
        if (!supported.Contains(defaultLanguage))
        {
            throw new StartupSettingException(
                $"Setting 'Voice__DefaultLanguage' is malformed: '{defaultLanguage}' is not one of the hotline's languages ({string.Join(",", supported)}).");
        }

        var folder = reader.String("Voice:RecordingsFolder") is { } configured
            ? Path.GetFullPath(configured, environment.ContentRootPath)
            : Path.Combine(AppContext.BaseDirectory, "Voice", "Recordings");
        var recordings = FindRecordings(folder, supported.Where(l => !voices.ContainsKey(l)), menu);

        return new VoiceCatalogue(menu, defaultLanguage, supported, voices, staff, recordings, texts, emergencyNumber);
    }

    public PromptDelivery DeliveryOf(VoicePrompt prompt, string language) =>
        _voices.ContainsKey(Served(language)) ? PromptDelivery.Spoken : PromptDelivery.Played;

    /// <summary>
    /// The prompt in the caller's language: a <c>&lt;Say&gt;</c> with that language's voice and locale, or a
    /// <c>&lt;Play&gt;</c> of its recording served by this app. A language the line does not serve gets the default
    /// language. <see cref="VoicePrompt.LanguageMenuOption"/> is the language's own menu option.
    /// </summary>
    public global::Twilio.TwiML.TwiML Prompt(VoicePrompt prompt, string language, Uri publicBaseUrl)
    {
        language = Served(language);
        if (prompt == VoicePrompt.LanguageMenuOption)
        {
            var entry = Menu.FirstOrDefault(e => e.Language == language)
                ?? throw new ArgumentException($"'{language}' is not in the language menu (Voice__Menu).", nameof(language));
            return MenuOption(entry, publicBaseUrl);
        }

        return _voices.TryGetValue(language, out var voice)
            ? Speak(voice, Text(prompt, language, key: null))
            : new Play(RecordingUrl(publicBaseUrl, language, prompt.ToString()));
    }

    /// <summary>"For Română, press 2", spoken in that language by its own voice, or its recording for that key.</summary>
    public global::Twilio.TwiML.TwiML MenuOption(VoiceMenuEntry entry, Uri publicBaseUrl)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return _voices.TryGetValue(entry.Language, out var voice)
            ? Speak(voice, Text(VoicePrompt.LanguageMenuOption, entry.Language, entry.Key))
            : new Play(RecordingUrl(publicBaseUrl, entry.Language, MenuRecordingName(entry.Key)));
    }

    /// <summary>
    /// The whole language menu: one DTMF key, each option in its own language, in the configured order. The menu may
    /// use * and # (the default one does when there are eleven or twelve languages), so finishOnKey is empty: with
    /// Twilio's default (#) a caller pressing # would submit nothing instead of choosing a language. Say it twice
    /// (two of these in a row) and then fall back to <see cref="DefaultLanguage"/>.
    /// </summary>
    public Gather MenuGather(Uri action, Uri publicBaseUrl, int timeoutSeconds = 5)
    {
        var gather = new Gather(
            input: [Gather.InputEnum.Dtmf], action: action, method: global::Twilio.Http.HttpMethod.Post, timeout: timeoutSeconds,
            finishOnKey: string.Empty, numDigits: 1, actionOnEmptyResult: false);
        foreach (var entry in Menu)
        {
            gather.Append(MenuOption(entry, publicBaseUrl));
        }

        return gather;
    }

    /// <summary>The language a pressed key chooses, or null for a key not in the menu.</summary>
    public string? LanguageForKey(string? digits) => Menu.FirstOrDefault(e => e.Key == digits)?.Language;

    /// <summary>To the counsellor, in English: "Hotline call, Romanian. Press 1 to accept."</summary>
    public global::Twilio.TwiML.TwiML Whisper(string callerLanguage, bool emergency) =>
        Speak(_staffVoice, $"{(emergency ? "Emergency hotline call" : "Hotline call")}, {EnglishName(callerLanguage)}. Press {AcceptKey} to accept.");

    public global::Twilio.TwiML.TwiML CallTaken() => Speak(_staffVoice, "This call was taken by a colleague. Goodbye.");

    public global::Twilio.TwiML.TwiML WhisperNotAccepted() => Speak(_staffVoice, "The call was not accepted. Goodbye.");

    /// <summary>The recording a Play URL names, or null when the catalogue plays no such recording.</summary>
    public VoiceRecording? Recording(string language, string prompt) =>
        _recordings.TryGetValue(language, out var recordings) ? recordings.GetValueOrDefault(prompt) : null;

    /// <summary>The text a spoken prompt says (and a recording of it should say), with its placeholders filled.</summary>
    public string Text(VoicePrompt prompt, string language, string? key)
    {
        var texts = _texts.Value;
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["EmergencyNumber"] = _emergencyNumber };
        if (key is not null)
        {
            values["Digit"] = key switch
            {
                "*" => texts.Get(language, CallerText.VoiceStarKey),
                "#" => texts.Get(language, CallerText.VoiceHashKey),
                _ => key,
            };
        }

        return texts.Get(language, TextOf(prompt), values);
    }

    private static CallerText TextOf(VoicePrompt prompt) => prompt switch
    {
        VoicePrompt.LanguageMenuOption => CallerText.VoiceLanguageMenuOption,
        VoicePrompt.Safety => CallerText.VoiceSafety,
        VoicePrompt.Waiting => CallerText.VoiceWaiting,
        VoicePrompt.NobodyAnswered => CallerText.VoiceNobodyAnswered,
        VoicePrompt.VoicemailInstructions => CallerText.VoiceVoicemailInstructions,
        VoicePrompt.VoicemailSaved => CallerText.VoiceVoicemailSaved,
        VoicePrompt.CallbackNoted => CallerText.VoiceCallbackNoted,
        VoicePrompt.Goodbye => CallerText.VoiceGoodbye,
        VoicePrompt.NoChoice => CallerText.VoiceNoChoice,
        VoicePrompt.CallbackMornings => CallerText.VoiceCallbackMornings,
        VoicePrompt.CallbackAfternoons => CallerText.VoiceCallbackAfternoons,
        VoicePrompt.CallbackEvenings => CallerText.VoiceCallbackEvenings,
        VoicePrompt.CallbackAnyTime => CallerText.VoiceCallbackAnyTime,
        VoicePrompt.CallbackMessage => CallerText.VoiceCallbackMessage,
        VoicePrompt.CallbackNoNumber => CallerText.VoiceCallbackNoNumber,
        VoicePrompt.CallbackConfirmed => CallerText.VoiceCallbackConfirmed,
        VoicePrompt.CallbackNotArranged => CallerText.VoiceCallbackNotArranged,
        _ => throw new ArgumentOutOfRangeException(nameof(prompt)),
    };

    /// <summary>A recorded menu option says its key, so its file is named after the key: LanguageMenuOption-2, -star, -hash.</summary>
    public static string MenuRecordingName(string key) =>
        "LanguageMenuOption-" + key switch { "*" => "star", "#" => "hash", _ => key };

    private static Say Speak(TwilioVoice voice, string text) => new(text, voice: voice.Name, language: voice.Locale);

    private static Uri RecordingUrl(Uri publicBaseUrl, string language, string name)
    {
        var root = publicBaseUrl.AbsoluteUri.EndsWith('/') ? publicBaseUrl : new Uri(publicBaseUrl.AbsoluteUri + "/");
        return new Uri(root, $"{RecordingsRoute}/{language}/{name}");
    }

    private string Served(string language)
    {
        var code = language.ToLowerInvariant();
        return Languages.Contains(code) ? code : DefaultLanguage;
    }

    private static string EnglishName(string language)
    {
        try
        {
            return CultureInfo.GetCultureInfo(language, predefinedOnly: true).EnglishName;
        }
        catch (CultureNotFoundException)
        {
            return language.ToUpperInvariant();
        }
    }

    // The language a locale speaks, as the hotline names it: ro-RO is ro, cmn-CN and yue-HK are zh, arb and ar-XA are ar.
    private static bool Speaks(string locale, string language)
    {
        var primary = locale.Split('-')[0];
        return primary == language || (language == "zh" && primary is "cmn" or "yue") || (language == "ar" && primary == "arb");
    }

    private static Dictionary<string, TwilioVoice> ReadVoices(string? value, IReadOnlyList<string> supported, TwilioVoiceList documented)
    {
        // Plain loops here and below: this runs at every cold start, and generic code over value types (key-value
        // pairs, enums) is compiled on first use, which costs more than the work itself.
        var names = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var language in supported)
        {
            if (DefaultVoices.TryGetValue(language, out var name))
            {
                names[language] = name;
            }
        }

        foreach (var entry in (value ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split('=', 2, StringSplitOptions.TrimEntries);
            var language = parts[0].ToLowerInvariant();
            if (parts.Length != 2 || !supported.Contains(language) || parts[1].Length == 0)
            {
                throw new StartupSettingException(
                    $"Setting 'Voice__Voices' is malformed: '{entry}' should be <language>=<Twilio voice> (or <language>=recording), the language one of {string.Join(",", supported)}.");
            }

            names[language] = parts[1].Equals("recording", StringComparison.OrdinalIgnoreCase) ? null : parts[1];
        }

        var voices = new Dictionary<string, TwilioVoice>(StringComparer.Ordinal);
        foreach (var language in supported)
        {
            if (names.GetValueOrDefault(language) is not { } name)
            {
                continue;
            }

            var locales = documented.LocalesOf(name) ?? throw new StartupSettingException(
                $"Setting 'Voice__Voices' names '{name}' for {language}, which is not a Twilio voice in {TwilioVoiceList.FileName} (Twilio's documented voices, read {documented.ReadOn}).");
            var locale = locales.FirstOrDefault(l => Speaks(l, language)) ?? throw new StartupSettingException(
                $"Setting 'Voice__Voices' gives {language} the voice '{name}', which speaks {string.Join(", ", locales)}, not {language}.");
            voices[language] = new TwilioVoice(name, locale);
        }

        return voices;
    }

    private static TwilioVoice ReadStaffVoice(string? value, TwilioVoiceList documented)
    {
        var name = value ?? DefaultStaffVoice;
        var locale = documented.LocalesOf(name)?.FirstOrDefault(l => Speaks(l, "en"));
        return locale is null
            ? throw new StartupSettingException(
                $"Setting 'Voice__StaffVoice' is malformed: '{name}' is not an English Twilio voice in {TwilioVoiceList.FileName}.")
            : new TwilioVoice(name, locale);
    }

    private static List<VoiceMenuEntry> ReadMenu(string? value, IReadOnlyList<string> supported)
    {
        if (value is null)
        {
            return supported.Count <= KeypadKeys.Length
                ? [.. supported.Select((language, i) => new VoiceMenuEntry(KeypadKeys[i].ToString(), language))]
                : throw new StartupSettingException(
                    $"Missing required setting 'Voice__Menu': the hotline has {supported.Count} languages and the keypad only {KeypadKeys.Length} keys; list the menu as <language>=<key>;...");
        }

        var menu = new List<VoiceMenuEntry>();
        foreach (var entry in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split('=', 2, StringSplitOptions.TrimEntries);
            var language = parts[0].ToLowerInvariant();
            if (parts.Length != 2 || parts[1].Length != 1 || !KeypadKeys.Contains(parts[1][0], StringComparison.Ordinal))
            {
                throw new StartupSettingException(
                    $"Setting 'Voice__Menu' is malformed: '{entry}' should be <language>=<key>, the key one of 0-9, * or #.");
            }

            if (!supported.Contains(language))
            {
                throw new StartupSettingException(
                    $"Setting 'Voice__Menu' is malformed: '{language}' is not one of the hotline's languages ({string.Join(",", supported)}).");
            }

            if (menu.FirstOrDefault(e => e.Key == parts[1] || e.Language == language) is { } taken)
            {
                throw new StartupSettingException(taken.Key == parts[1]
                    ? $"Setting 'Voice__Menu' is malformed: key {parts[1]} is given to both {taken.Language} and {language}."
                    : $"Setting 'Voice__Menu' is malformed: {language} is listed twice.");
            }

            menu.Add(new VoiceMenuEntry(parts[1], language));
        }

        return menu.Count > 0 ? menu : throw new StartupSettingException("Setting 'Voice__Menu' is malformed: it lists no language.");
    }

    private static Dictionary<string, Dictionary<string, VoiceRecording>> FindRecordings(
        string folder, IEnumerable<string> recorded, IReadOnlyList<VoiceMenuEntry> menu)
    {
        var recordings = new Dictionary<string, Dictionary<string, VoiceRecording>>(StringComparer.Ordinal);
        foreach (var language in recorded)
        {
            var files = recordings[language] = new Dictionary<string, VoiceRecording>(StringComparer.Ordinal);
            var names = Enum.GetNames(typeof(VoicePrompt)).Where(p => p != nameof(VoicePrompt.LanguageMenuOption)).ToList();
            if (menu.FirstOrDefault(e => e.Language == language) is { } entry)
            {
                names.Add(MenuRecordingName(entry.Key));
            }

            foreach (var name in names)
            {
                var file = AudioTypes.Keys.Select(ext => Path.Combine(folder, language, name + ext))
                    .FirstOrDefault(f => File.Exists(f) && new FileInfo(f).Length > 0) ?? throw new StartupSettingException(
                    $"Voice prompts in {language} have no Twilio voice (Setting 'Voice__Voices'), and the prompt {name} has no recording: " +
                    $"expected a non-empty {Path.Combine(folder, language, name)}.mp3 or .wav (Setting 'Voice__RecordingsFolder').");
                files[name] = new VoiceRecording(file, AudioTypes[Path.GetExtension(file)]);
            }
        }

        return recordings;
    }
}

/// <summary>Twilio's documented voices (<c>Voice/twilio-voices.tsv</c>): voice name, then the language it speaks.</summary>
public sealed class TwilioVoiceList
{
    public const string FileName = "twilio-voices.tsv";

    private readonly Dictionary<string, List<string>> _locales;

    private TwilioVoiceList(Dictionary<string, List<string>> locales, string readOn)
    {
        _locales = locales;
        ReadOn = readOn;
    }

    /// <summary>When the list was read from Twilio's documentation (its "# Read on" line).</summary>
    public string ReadOn { get; }

    public IReadOnlyCollection<string> Voices => _locales.Keys;

    /// <summary>The locales a voice speaks (Say's language attribute), or null for a voice not in the list.</summary>
    public IReadOnlyList<string>? LocalesOf(string voice) => _locales.GetValueOrDefault(voice);

    public static TwilioVoiceList Load(string path)
    {
        var locales = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var readOn = "on an unknown date";
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.StartsWith("# Read on ", StringComparison.Ordinal))
            {
                readOn = line["# Read on ".Length..].TrimEnd('.');
            }

            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var columns = line.Split('\t');
            if (columns.Length != 2 || columns[0].Length == 0 || columns[1].Length == 0)
            {
                throw new StartupSettingException($"{FileName} line {number} is malformed: expected <voice><tab><language>.");
            }

            if (!locales.TryGetValue(columns[0], out var list))
            {
                locales[columns[0]] = list = [];
            }

            list.Add(columns[1]);
        }

        return new TwilioVoiceList(locales, readOn);
    }
}

using System.Text;
using System.Xml.Linq;
using Hotline.Functions.Configuration;
using Hotline.Functions.Voice;
using Hotline.Messaging;
using Hotline.Tests.Infrastructure;
using Microsoft.Extensions.Hosting.Internal;
using Twilio.TwiML;
using Xunit.Abstractions;

namespace Hotline.Tests.Voice;

public sealed class VoiceCatalogueTests(ITestOutputHelper output)
{
    private static readonly Uri PublicBase = new("https://hotline.example.org/");
    private static readonly string TextsFolder = Path.Combine(TestEnvironment.RepoRoot, "functions", "Texts");
    private static readonly string DocumentedVoices = Path.Combine(TestEnvironment.RepoRoot, "functions", "Voice", TwilioVoiceList.FileName);
    private static readonly string TableDocument = Path.Combine(TestEnvironment.RepoRoot, "docs", "voice-prompts.md");

    internal static VoiceCatalogue Catalogue(Dictionary<string, string?>? settings = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build();
        var environment = new HostingEnvironment { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory };
        return VoiceCatalogue.Read(configuration, environment, LanguageSettings.Read(configuration), CallerTexts.Load(TextsFolder), "112");
    }

    private static XElement Element(global::Twilio.TwiML.TwiML twiml) =>
        XDocument.Parse(new VoiceResponse().Append(twiml).ToString()).Root!.Elements().Single();

    [Fact]
    public void Every_prompt_of_every_shipped_language_is_spoken_by_a_documented_voice_or_played_from_a_non_empty_recording()
    {
        var catalogue = Catalogue();
        var documented = TwilioVoiceList.Load(DocumentedVoices);
        var prompts = Enum.GetValues<VoicePrompt>();
        var table = new StringBuilder()
            .AppendLine("| Language | Voice | Menu key | " + string.Join(" | ", prompts) + " |")
            .AppendLine("|---|---|---|" + string.Concat(prompts.Select(_ => "---|")));

        Assert.Equal(LanguageSettings.Read(new ConfigurationBuilder().Build()).Supported, catalogue.Languages);
        foreach (var language in catalogue.Languages)
        {
            var cells = new List<string>();
            foreach (var prompt in prompts)
            {
                var element = Element(catalogue.Prompt(prompt, language, PublicBase));
                var delivery = catalogue.DeliveryOf(prompt, language);
                if (element.Name.LocalName == "Say")
                {
                    Assert.Equal(PromptDelivery.Spoken, delivery);
                    Assert.False(string.IsNullOrWhiteSpace(element.Value), $"{language} {prompt}: empty Say");
                    Assert.DoesNotContain("{", element.Value, StringComparison.Ordinal);
                    var voice = (string?)element.Attribute("voice") ?? throw new Xunit.Sdk.XunitException($"{language} {prompt}: Say without a voice");
                    var locales = documented.LocalesOf(voice) ?? throw new Xunit.Sdk.XunitException($"{language} {prompt}: {voice} is not documented");
                    Assert.Contains((string?)element.Attribute("language"), locales);
                }
                else
                {
                    Assert.Equal("Play", element.Name.LocalName);
                    Assert.Equal(PromptDelivery.Played, delivery);
                    var url = new Uri(element.Value);
                    Assert.StartsWith($"{PublicBase.AbsoluteUri}{VoiceCatalogue.RecordingsRoute}/{language}/", url.AbsoluteUri, StringComparison.Ordinal);
                    var recording = catalogue.Recording(language, url.Segments[^1]) ?? throw new Xunit.Sdk.XunitException($"{language} {prompt}: {url} is not served");
                    Assert.True(new FileInfo(recording.Path).Length > 0, $"{language} {prompt}: {recording.Path} is empty");
                }

                cells.Add(delivery == PromptDelivery.Spoken ? "spoken" : "played");
            }

            var voiceCell = catalogue.VoiceOf(language) is { } v ? $"`{v.Name}` ({v.Locale})" : "recordings";
            var key = catalogue.Menu.FirstOrDefault(e => e.Language == language)?.Key ?? "";
            table.AppendLine($"| {language} | {voiceCell} | {key} | {string.Join(" | ", cells)} |");
        }

        output.WriteLine(table.ToString());
        // The table in the documentation is this one: it changes when the shipped voices or recordings do.
        Assert.Contains(table.ToString().ReplaceLineEndings("\n"), File.ReadAllText(TableDocument).ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Albanian_has_no_documented_voice_and_is_played_from_recordings()
    {
        var documented = TwilioVoiceList.Load(DocumentedVoices);
        Assert.DoesNotContain(documented.Voices, v => documented.LocalesOf(v)!.Any(l => l.StartsWith("sq", StringComparison.Ordinal)));
        Assert.Equal(PromptDelivery.Played, Catalogue().DeliveryOf(VoicePrompt.Safety, "sq"));
        Assert.Equal("2026-11-30", documented.ReadOn);
    }

    [Fact]
    public void Default_menu_speaks_each_option_in_its_own_language_in_the_supported_order()
    {
        var catalogue = Catalogue();
        var supported = LanguageSettings.Read(new ConfigurationBuilder().Build()).Supported;
        Assert.Equal(supported, catalogue.Menu.Select(e => e.Language));
        Assert.Equal("1234567890*#".Select(c => c.ToString()), catalogue.Menu.Select(e => e.Key));
        Assert.Equal("en", catalogue.DefaultLanguage);

        var gather = XDocument.Parse(new VoiceResponse().Append(catalogue.MenuGather(new Uri(PublicBase, "api/voice/language"), PublicBase)).ToString())
            .Root!.Elements().Single();
        Assert.Equal("", (string?)gather.Attribute("finishOnKey")); // # is a menu key, not "done"
        Assert.Equal("1", (string?)gather.Attribute("numDigits"));
        var options = gather.Elements().ToList();
        Assert.Equal(supported.Count, options.Count);
        var texts = CallerTexts.Load(TextsFolder);
        for (var i = 0; i < options.Count; i++)
        {
            var (key, language) = (catalogue.Menu[i].Key, catalogue.Menu[i].Language);
            if (catalogue.VoiceOf(language) is { } voice)
            {
                Assert.Equal("Say", options[i].Name.LocalName);
                Assert.Equal(voice.Locale, (string?)options[i].Attribute("language"));
                Assert.Equal(voice.Name, (string?)options[i].Attribute("voice"));
                var spokenKey = key switch { "*" => texts.Get(language, CallerText.VoiceStarKey), "#" => texts.Get(language, CallerText.VoiceHashKey), _ => key };
                Assert.Equal(texts.Get(language, CallerText.VoiceLanguageMenuOption, new Dictionary<string, string> { ["Digit"] = spokenKey }), options[i].Value);
            }
            else
            {
                Assert.Equal("Play", options[i].Name.LocalName);
                Assert.EndsWith($"/{language}/LanguageMenuOption-{key}", options[i].Value, StringComparison.Ordinal);
            }
        }

        // Each option in its own language's voice: Romanian by a Romanian voice, Russian by a Russian one, ...
        Assert.Equal("ro-RO", (string?)options[1].Attribute("language"));
        Assert.Contains("română", options[1].Value, StringComparison.Ordinal);
        Assert.Equal("ru-RU", (string?)options[3].Attribute("language"));
        Assert.Contains("русского", options[3].Value, StringComparison.Ordinal);
        Assert.Equal("cmn-CN", (string?)options[10].Attribute("language"));
        Assert.Contains("星号键", options[10].Value, StringComparison.Ordinal);
        Assert.Equal("ar-XA", (string?)options[11].Attribute("language"));
        Assert.Contains("المربع", options[11].Value, StringComparison.Ordinal);
        Assert.Equal("ro", catalogue.LanguageForKey("2"));
        Assert.Equal("ar", catalogue.LanguageForKey("#"));
        Assert.Null(catalogue.LanguageForKey(""));
    }

    [Fact]
    public void A_configured_menu_keeps_its_order_and_keys_and_a_configured_voice_speaks_its_language()
    {
        var catalogue = Catalogue(new()
        {
            ["Voice:Menu"] = "uk=3; ro=2;en=0",
            ["Voice:Voices"] = "ro=Polly.Carmen;uk=Google.uk-UA-Wavenet-A",
            ["Voice:DefaultLanguage"] = "ro",
        });

        Assert.Equal([new VoiceMenuEntry("3", "uk"), new VoiceMenuEntry("2", "ro"), new VoiceMenuEntry("0", "en")], catalogue.Menu);
        Assert.Equal("ro", catalogue.DefaultLanguage);
        var say = Element(catalogue.Prompt(VoicePrompt.Safety, "ro", PublicBase));
        Assert.Equal("Polly.Carmen", (string?)say.Attribute("voice"));
        Assert.Equal("ro-RO", (string?)say.Attribute("language"));
        Assert.Contains("apăsați 9", say.Value, StringComparison.Ordinal);
        var waiting = Element(catalogue.Prompt(VoicePrompt.NobodyAnswered, "uk", PublicBase));
        Assert.Equal("uk-UA", (string?)waiting.Attribute("language"));
        Assert.Contains("112", waiting.Value, StringComparison.Ordinal);
        // A language the line does not serve gets the default language's prompt, never silence.
        Assert.Equal("ro-RO", (string?)Element(catalogue.Prompt(VoicePrompt.Goodbye, "tr", PublicBase)).Attribute("language"));
    }

    [Fact]
    public void A_language_set_to_recording_is_played_even_where_a_voice_exists()
    {
        var folder = Directory.CreateTempSubdirectory("hotline-recordings-").FullName;
        try
        {
            var names = Enum.GetValues<VoicePrompt>().Where(p => p != VoicePrompt.LanguageMenuOption).Select(p => p.ToString())
                .Append(VoiceCatalogue.MenuRecordingName("2"));
            foreach (var language in new[] { "ro", "sq" })
            {
                Directory.CreateDirectory(Path.Combine(folder, language));
                foreach (var name in names.Append(VoiceCatalogue.MenuRecordingName("7")))
                {
                    File.WriteAllBytes(Path.Combine(folder, language, name + ".wav"), [1, 2, 3]);
                }
            }

            var catalogue = Catalogue(new() { ["Voice:Voices"] = "ro=recording", ["Voice:RecordingsFolder"] = folder });
            Assert.Equal(PromptDelivery.Played, catalogue.DeliveryOf(VoicePrompt.Waiting, "ro"));
            Assert.Equal("https://hotline.example.org/api/voice/recordings/ro/LanguageMenuOption-2",
                Element(catalogue.MenuOption(catalogue.Menu[1], PublicBase)).Value);
            Assert.Equal("audio/wav", catalogue.Recording("ro", "Waiting")!.ContentType);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public static TheoryData<string, string?, string, string> StartupFailures => new()
    {
        // setting, value, the setting named in the message, another word the message must carry
        { "Voice:Voices", "ro=Google.ro-RO-Standard-Z", "Voice__Voices", "Google.ro-RO-Standard-Z" },
        { "Voice:Voices", "ro=Polly.Tatyana", "Voice__Voices", "ru-RU" },
        { "Voice:Voices", "zh=Google.en-GB-Standard-A", "Voice__Voices", "zh" },
        { "Voice:Voices", "ro", "Voice__Voices", "<language>=<Twilio voice>" },
        { "Voice:Voices", "tr=Polly.Filiz", "Voice__Voices", "tr" },
        { "Voice:Menu", "ro=2;uk=2", "Voice__Menu", "key 2" },
        { "Voice:Menu", "ro=2;ro=3", "Voice__Menu", "twice" },
        { "Voice:Menu", "ro=2;tr=3", "Voice__Menu", "'tr'" },
        { "Voice:Menu", "ro=12", "Voice__Menu", "0-9, * or #" },
        { "Voice:Menu", "ro=a", "Voice__Menu", "0-9, * or #" },
        { "Voice:DefaultLanguage", "tr", "Voice__DefaultLanguage", "'tr'" },
        { "Voice:StaffVoice", "Google.ro-RO-Standard-A", "Voice__StaffVoice", "English" },
        // Albanian moved to key 8: its recorded menu option says 7, so start-up asks for a recording of key 8.
        { "Voice:Menu", "en=1;sq=8", "Voice__RecordingsFolder", "LanguageMenuOption-8" },
    };

    [Theory]
    [MemberData(nameof(StartupFailures))]
    public void A_wrong_voice_setting_stops_startup_with_one_line_naming_the_setting(string key, string? value, string named, string detail)
    {
        var e = Assert.Throws<StartupSettingException>(() => Catalogue(new() { [key] = value }));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
        Assert.Contains(detail, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_language_without_a_voice_and_without_a_recording_stops_startup_naming_the_language_and_the_prompt()
    {
        var folder = Directory.CreateTempSubdirectory("hotline-recordings-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "sq"));
            foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Voice", "Recordings", "sq")))
            {
                File.Copy(file, Path.Combine(folder, "sq", Path.GetFileName(file)));
            }

            Assert.Equal(PromptDelivery.Played, Catalogue(new() { ["Voice:RecordingsFolder"] = folder }).DeliveryOf(VoicePrompt.Goodbye, "sq"));

            File.WriteAllBytes(Path.Combine(folder, "sq", "Goodbye.mp3"), []); // an empty file is no recording
            var e = Assert.Throws<StartupSettingException>(() => Catalogue(new() { ["Voice:RecordingsFolder"] = folder }));
            Assert.Contains("sq", e.Message, StringComparison.Ordinal);
            Assert.Contains("Goodbye", e.Message, StringComparison.Ordinal);
            Assert.Contains("Voice__Voices", e.Message, StringComparison.Ordinal);
            Assert.Contains("Voice__RecordingsFolder", e.Message, StringComparison.Ordinal);

            // Romanian without its voice and without recordings: refused too.
            File.Copy(Path.Combine(AppContext.BaseDirectory, "Voice", "Recordings", "sq", "Goodbye.mp3"), Path.Combine(folder, "sq", "Goodbye.mp3"), overwrite: true);
            e = Assert.Throws<StartupSettingException>(() => Catalogue(new() { ["Voice:RecordingsFolder"] = folder, ["Voice:Voices"] = "ro=recording" }));
            Assert.Contains("in ro", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void More_languages_than_keypad_keys_need_an_explicit_menu()
    {
        var e = Assert.Throws<StartupSettingException>(() => Catalogue(new() { ["Languages:Supported"] = "en,ro,bg,ru,uk,pl,sq,sr,es,fr,zh,ar,de" }));
        Assert.Contains("Voice__Menu", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_counsellor_hears_the_whisper_in_English_naming_the_callers_language()
    {
        var catalogue = Catalogue();
        var whisper = Element(catalogue.Whisper("ro", emergency: false));
        Assert.Equal("Hotline call, Romanian. Press 1 to accept.", whisper.Value);
        Assert.Equal("en-GB", (string?)whisper.Attribute("language"));
        Assert.Equal("Emergency hotline call, Albanian. Press 1 to accept.", Element(catalogue.Whisper("sq", emergency: true)).Value);
        Assert.Equal("This call was taken by a colleague. Goodbye.", Element(catalogue.CallTaken()).Value);
        Assert.Equal("The call was not accepted. Goodbye.", Element(catalogue.WhisperNotAccepted()).Value);
    }

    [Fact]
    public void The_caller_texts_are_read_on_the_first_spoken_prompt_not_at_startup()
    {
        var reads = 0;
        var configuration = new ConfigurationBuilder().Build();
        var catalogue = VoiceCatalogue.Read(configuration, new HostingEnvironment { ContentRootPath = AppContext.BaseDirectory },
            LanguageSettings.Read(configuration), () => { reads++; return CallerTexts.Load(TextsFolder); }, "112");
        Assert.Equal(0, reads);
        _ = catalogue.Prompt(VoicePrompt.Safety, "en", PublicBase);
        _ = catalogue.Prompt(VoicePrompt.Waiting, "ro", PublicBase);
        Assert.Equal(1, reads);
    }

    [Fact]
    public void The_callback_times_offered_on_the_keypad_are_the_keypad_presets_and_each_prompt_says_its_key_in_every_language()
    {
        var words = new Dictionary<VoicePrompt, string>
        {
            [VoicePrompt.CallbackMornings] = "morning",
            [VoicePrompt.CallbackAfternoons] = "afternoon",
            [VoicePrompt.CallbackEvenings] = "evening",
            [VoicePrompt.CallbackAnyTime] = "any time",
        };
        Assert.Equal(Hotline.Callbacks.KeypadPresets.Defaults.OrderBy(p => p.Key), VoiceCatalogue.CallbackTimes.Select(t => KeyValuePair.Create(t.Key, words[t.Prompt])));

        var catalogue = Catalogue();
        foreach (var language in catalogue.Languages.Where(l => catalogue.VoiceOf(l) is not null))
        {
            foreach (var (key, prompt) in VoiceCatalogue.CallbackTimes)
            {
                Assert.Contains(key.ToString(), catalogue.Text(prompt, language, null), StringComparison.Ordinal);
            }

            Assert.Contains(VoiceCatalogue.MayLeaveMessageKey, catalogue.Text(VoicePrompt.CallbackMessage, language, null), StringComparison.Ordinal);
            Assert.Contains(VoiceCatalogue.LeaveMessageKey, catalogue.Text(VoicePrompt.CallbackNoNumber, language, null), StringComparison.Ordinal);
        }
    }
}

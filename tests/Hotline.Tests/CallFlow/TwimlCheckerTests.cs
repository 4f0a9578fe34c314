using System.Xml.Linq;
using Hotline.Functions.Dev.CallFlow;
using Twilio.TwiML;
using Twilio.TwiML.Voice;
using HttpMethod = Twilio.Http.HttpMethod;
using PhoneNumber = Twilio.Types.PhoneNumber;
using Record = Twilio.TwiML.Voice.Record;

namespace Hotline.Tests.CallFlow;

/// <summary>The TwiML checker against the list of documented voice verbs and attributes.</summary>
public sealed class TwimlCheckerTests
{
    [Fact]
    public void Accepts_a_correct_document_written_by_the_Twilio_SDK()
    {
        var response = new VoiceResponse();
        var gather = new Gather(input: [Gather.InputEnum.Dtmf], numDigits: 1, timeout: 5, action: new Uri("/api/twilio/language", UriKind.Relative), method: HttpMethod.Post, actionOnEmptyResult: false);
        gather.Say("Pentru română, apăsați 2", voice: "Google.ro-RO-Standard-A", language: "ro-RO");
        gather.Play(new Uri("https://cdn.example.org/menu.mp3"));
        gather.Pause(length: 1);
        response.Append(gather);
        var dial = new Dial(action: new Uri("/api/twilio/dial-done", UriKind.Relative), timeout: 20, callerId: "+442071234567", answerOnBridge: true);
        dial.Number(new PhoneNumber("+447700900001"), url: new Uri("/api/twilio/whisper", UriKind.Relative), statusCallback: new Uri("/api/twilio/leg", UriKind.Relative),
            statusCallbackEvent: [Number.EventEnum.Answered, Number.EventEnum.Completed]);
        response.Append(dial);
        response.Record(action: new Uri("/api/twilio/recorded", UriKind.Relative), maxLength: 120, playBeep: true, trim: Record.TrimEnum.TrimSilence,
            recordingStatusCallback: new Uri("/api/twilio/recording", UriKind.Relative));
        response.Enqueue("counsellors", waitUrl: new Uri("/api/twilio/wait", UriKind.Relative));
        response.Redirect(new Uri("/api/twilio/voice", UriKind.Relative));
        response.Reject(reason: Reject.ReasonEnum.Busy);
        response.Hangup();

        var twiml = response.ToString();

        Assert.Empty(TwimlChecker.Problems(twiml));
        TwimlChecker.Ensure(twiml);
    }

    [Fact]
    public void A_waitUrl_or_Queue_url_document_allows_only_the_verbs_Twilio_lists_for_it()
    {
        const string Wait = """<Response><Say>Please hold</Say><Pause length="20"/><Leave/></Response>""";
        const string Dials = """<Response><Dial><Number>+447700900001</Number></Dial></Response>""";

        Assert.Empty(TwimlChecker.Problems(Wait, TwimlChecker.WaitUrlDocument));
        Assert.Contains("<Dial> is not allowed in a waitUrl document", Assert.Single(TwimlChecker.Problems(Dials, TwimlChecker.WaitUrlDocument)), StringComparison.Ordinal);
        Assert.Empty(TwimlChecker.Problems(Dials));
        var queueUrl = TwimlChecker.Problems("""<Response><Say>Connecting</Say><Gather numDigits="1"/><Leave/></Response>""", TwimlChecker.QueueUrlDocument);
        Assert.Equal(2, queueUrl.Count);
        Assert.Contains(queueUrl, p => p.Contains("<Gather> is not allowed in a queueUrl document", StringComparison.Ordinal));
        Assert.Contains(queueUrl, p => p.Contains("<Leave> is not allowed in a queueUrl document", StringComparison.Ordinal));
    }

    [Fact]
    public void Accepts_Enqueue_Leave_and_the_Queue_noun_as_the_Twilio_SDK_writes_them()
    {
        var response = new VoiceResponse();
        response.Enqueue("call-CA0123", action: new Uri("https://hotline.example.org/api/twilio/voice/left?c=1"), method: HttpMethod.Post,
            waitUrl: new Uri("https://hotline.example.org/api/twilio/voice/wait?c=1"), waitUrlMethod: HttpMethod.Post, maxQueueSize: 1);
        var dial = new Dial(timeout: 10);
        dial.Queue("call-CA0123", url: new Uri("/api/twilio/voice/connecting", UriKind.Relative), method: HttpMethod.Post);
        response.Append(dial);
        response.Leave();

        Assert.Empty(TwimlChecker.Problems(response.ToString()));
        Assert.NotEmpty(TwimlChecker.Problems("""<Response><Enqueue waitUrl="/w" maxQueueSize="0">q</Enqueue><Leave>now</Leave></Response>"""));
    }

    [Fact]
    public void Reports_an_undocumented_verb_and_an_undocumented_attribute()
    {
        var problems = TwimlChecker.Problems(
            """
            <Response>
              <Speak>Hello</Speak>
              <Gather numDigit="1"><Say>Press 1</Say></Gather>
            </Response>
            """);

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains("line 2", StringComparison.Ordinal) && p.Contains("<Speak> is not a documented", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("line 3", StringComparison.Ordinal) && p.Contains("'numDigit' is not documented for <Gather>", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""<Gather input="keys"/>""", "input")]
    [InlineData("""<Gather input="dtmf speech" method="PUT"/>""", "method")]
    [InlineData("""<Gather numDigits="0"/>""", "numDigits")]
    [InlineData("""<Gather numDigits="one"/>""", "numDigits")]
    [InlineData("""<Gather timeout="-1"/>""", "timeout")]
    [InlineData("""<Gather finishOnKey="##"/>""", "finishOnKey")]
    [InlineData("""<Record trim="yes"/>""", "trim")]
    [InlineData("""<Say language="xx-XX">Hi</Say>""", "language")]
    [InlineData("""<Say loop="many">Hi</Say>""", "loop")]
    [InlineData("""<Dial timeout="2"><Number>+447700900001</Number></Dial>""", "timeout")]
    [InlineData("""<Dial><Number statusCallbackEvent="picked-up">+447700900001</Number></Dial>""", "statusCallbackEvent")]
    [InlineData("""<Reject reason="nope"/>""", "reason")]
    public void Reports_a_value_outside_the_documented_set(string verb, string attribute)
    {
        var problem = Assert.Single(TwimlChecker.Problems($"<Response>{verb}</Response>"));

        Assert.Contains($" {attribute}=", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<Number>+447700900001</Number>", "<Number> is not allowed inside <Response>")]
    [InlineData("<Gather><Gather/></Gather>", "<Gather> is not allowed inside <Gather>")]
    [InlineData("<Gather><Dial>+447700900001</Dial></Gather>", "<Dial> is not allowed inside <Gather>")]
    [InlineData("<Hangup>now</Hangup>", "<Hangup> takes no text")]
    [InlineData("<Redirect/>", "<Redirect> needs text")]
    [InlineData("<Play/>", "<Play> needs an audio URL")]
    public void Reports_an_element_where_Twilio_does_not_allow_it(string body, string expected)
    {
        var problem = Assert.Single(TwimlChecker.Problems($"<Response>{body}</Response>"));

        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Reports_more_than_ten_numbers_in_one_Dial()
    {
        var numbers = string.Concat(Enumerable.Range(10, 11).Select(i => $"<Number>+4477009000{i}</Number>"));

        Assert.Contains("at most 10", Assert.Single(TwimlChecker.Problems($"<Response><Dial>{numbers}</Dial></Response>")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<Response><Say>Hi</Response>", "not well-formed")]
    [InlineData("<Reply><Say>Hi</Say></Reply>", "not <Response>")]
    public void Reports_a_document_that_is_not_TwiML_at_all(string twiml, string expected) =>
        Assert.Contains(expected, Assert.Single(TwimlChecker.Problems(twiml)), StringComparison.Ordinal);

    [Fact]
    public void Ensure_throws_with_every_problem_listed()
    {
        var thrown = Assert.Throws<TwimlProblemsException>(() => TwimlChecker.Ensure("""<Response><Speak/><Pause length="0"/></Response>"""));

        Assert.Equal(2, thrown.Problems.Count);
        Assert.All(thrown.Problems, p => Assert.Contains(p, thrown.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_element_the_list_allows_inside_another_is_itself_documented()
    {
        var elements = DocumentedTwiml.Voice.Elements;

        Assert.All(elements, e => Assert.All(e.Value.Children, child => Assert.True(elements.ContainsKey(child), $"{e.Key} allows undocumented <{child}>")));
        Assert.Equal(["Say", "Play", "Pause"], elements["Gather"].Children);
        Assert.Contains("ro-RO", elements["Say"].Attributes["language"].Values!);
    }

    [Fact]
    public void Every_verb_and_attribute_the_Twilio_SDK_writes_for_the_main_verbs_is_in_the_list()
    {
        // The SDK's TwiML classes are generated from Twilio's TwiML definitions: a verb or attribute it can write that
        // the list lacks would make the checker refuse a correct answer.
        XElement Written(TwiML element) => XElement.Parse(new VoiceResponse().Append(element).ToString()).Elements().Single();
        var all = new TwiML[]
        {
            new Gather(input: [Gather.InputEnum.Dtmf, Gather.InputEnum.Speech], action: new Uri("/a", UriKind.Relative), method: HttpMethod.Get, timeout: 3, speechTimeout: "auto", maxSpeechTime: 30, profanityFilter: true, finishOnKey: "#", numDigits: 2, partialResultCallback: new Uri("/p", UriKind.Relative), partialResultCallbackMethod: HttpMethod.Post, language: Gather.LanguageEnum.RoRo, hints: "a", bargeIn: true, debug: false, actionOnEmptyResult: true, speechModel: "phone_call", enhanced: false),
            new Record(action: new Uri("/a", UriKind.Relative), method: HttpMethod.Post, timeout: 0, finishOnKey: "1#", maxLength: 60, playBeep: false, trim: Record.TrimEnum.DoNotTrim, recordingStatusCallback: new Uri("/r", UriKind.Relative), recordingStatusCallbackMethod: HttpMethod.Post, recordingStatusCallbackEvent: [Record.RecordingEventEnum.Completed], transcribe: false, transcribeCallback: new Uri("/t", UriKind.Relative)),
            new Say("Hi", voice: "Polly.Amy", loop: 2, language: Say.LanguageEnum.EnGb),
            new Play(new Uri("https://cdn.example.org/a.mp3"), loop: 0),
            new Pause(length: 2),
            new Redirect(new Uri("/r", UriKind.Relative), method: HttpMethod.Get),
        };

        Assert.All(all, element => Assert.Empty(TwimlChecker.Problems(new XElement("Response", Written(element)).ToString())));
    }
}

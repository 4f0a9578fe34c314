using Hotline.Conversations;
using Hotline.Messaging;
using PhoneNumbers;

namespace Hotline.Callbacks;

/// <summary>
/// A callback asked for by message: CALLBACK (or its word in her language) starts a draft request
/// (<see cref="CallbackIntake.StartDraftAsync"/>) and a few questions in her language, one per message: the number to
/// call (this one by default), when it is safe, whether a message may be left, a code word; then what she gave is read
/// back (the number masked, the code word never repeated) for her to confirm, correct or cancel. Every question can be
/// skipped. The question she is answering is the draft's <see cref="CallbackRequest.SetupStep"/>, so the exchange
/// survives restarts and each message moves it on once. Her number and code word go only to the request's secrets.
/// </summary>
public sealed class SmsCallbackExchange(CallbackIntake intake, CallerTexts texts, SafeWindowParser parser)
{
    public const string NumberStep = "number";
    public const string WhenStep = "when";
    public const string MessageStep = "message";
    public const string WordStep = "word";
    public const string ConfirmStep = "confirm";

    /// <summary>A question asked again from the confirmation: once answered, back to the confirmation.</summary>
    private const string Correction = "+confirm";

    public const int MaxCodeWordLength = 40;

    /// <summary>What the conversation keeps instead of her answer to the number question.</summary>
    public const string NumberGiven = "(callback number given)";

    /// <summary>What the conversation keeps instead of her answer to the code word question.</summary>
    public const string CodeWordGiven = "(callback code word given)";

    // The out-of-hours answer tells the caller to reply CALLBACK, in every language: it always works.
    private const string EnglishKeyword = "CALLBACK";

    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    /// <summary>Whether a message (the whole of it) asks for a callback, in any language.</summary>
    public bool IsRequest(string keyword)
    {
        var word = keyword.Trim().ToUpperInvariant();
        return word.Length is > 0 and <= 30
            && (word == EnglishKeyword || texts.Languages.Any(l => texts.CallbackKeywords(l).Contains(word, StringComparer.Ordinal)));
    }

    /// <summary>The conversation's callback request while she is still setting it up; null otherwise.</summary>
    public async Task<CallbackRequest?> DraftOfAsync(Conversation conversation, CancellationToken cancellationToken = default) =>
        conversation.CallbackRequestId is null
            ? null
            : await intake.CurrentAsync(conversation, cancellationToken) is { Status: CallbackStatus.Draft } draft ? draft : null;

    /// <summary>
    /// The line the conversation keeps for her answer to the draft's current question, when her own words must not be
    /// kept (the number, the code word); null when they may.
    /// </summary>
    public static string? TranscriptLineFor(CallbackRequest draft) => QuestionOf(draft.SetupStep) switch
    {
        NumberStep => NumberGiven,
        WordStep => CodeWordGiven,
        _ => null,
    };

    /// <summary>
    /// Starts the exchange for the message that asked (its provider id makes a redelivery start nothing new) and
    /// returns the first question; null when the conversation can no longer take a request.
    /// </summary>
    public async Task<string?> StartAsync(Conversation conversation, InboundMessage message, CancellationToken cancellationToken = default)
    {
        var started = await intake.StartDraftAsync(
            conversation.Id, Channels.Sms, message.ProviderMessageId, message.From, NumberStep, cancellationToken);
        return started.Succeeded ? texts.Get(conversation.Language, CallerText.CallbackAskNumber) : null;
    }

    /// <summary>Her answer to the draft's current question: saves it, moves on, and returns what to send her next.</summary>
    public async Task<string> AnswerAsync(
        Conversation conversation, CallbackRequest draft, InboundMessage message, CancellationToken cancellationToken = default)
    {
        // A message arriving at the same moment may have moved the draft on: read it again and answer where it is.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (await TryAnswerAsync(conversation, draft, message, cancellationToken) is { } reply)
            {
                return reply;
            }

            var current = await intake.CurrentAsync(conversation, cancellationToken);
            if (current?.Id != draft.Id || current.Status != CallbackStatus.Draft)
            {
                // Confirmed or cancelled by the message that overtook this one.
                return texts.Get(conversation.Language, current is { Status: CallbackStatus.Waiting } ? CallerText.CallbackConfirmed : CallerText.CallbackCancelled);
            }

            draft = current;
        }

        throw new ConversationChangedException(conversation.Id);
    }

    /// <summary>Cancels the draft and destroys what she gave for it.</summary>
    public Task CancelAsync(CallbackRequest draft, CancellationToken cancellationToken = default) =>
        intake.CancelAsync(draft.Id, cancellationToken);

    private async Task<string?> TryAnswerAsync(
        Conversation conversation, CallbackRequest draft, InboundMessage message, CancellationToken cancellationToken)
    {
        var language = conversation.Language;
        var text = message.Body.Reveal().Trim();
        var answer = AnswerOf(text, language);
        if (answer == CallbackAnswer.Cancel)
        {
            await intake.CancelAsync(draft.Id, cancellationToken);
            return texts.Get(language, CallerText.CallbackCancelled);
        }

        var question = QuestionOf(draft.SetupStep);
        var correcting = draft.SetupStep?.EndsWith(Correction, StringComparison.Ordinal) == true;
        switch (question)
        {
            case NumberStep:
            {
                var region = RegionOf(conversation.HotlineNumber ?? message.To);
                var ownWords = parser.WordsFor(language).Words.GetValueOrDefault(TimeWord.OwnNumber) ?? [];
                var reading = answer is CallbackAnswer.Ok or CallbackAnswer.Skip
                    ? CallbackNumber.Read(null, region, message.From)
                    : CallbackNumber.Read(text, region, message.From, ownWords);
                if (reading.E164 is not { } number)
                {
                    return texts.Get(language, ReasonFor(reading)) + "\n\n" + texts.Get(language, CallerText.CallbackAskNumber);
                }

                var secrets = await intake.DraftSecretsAsync(draft, cancellationToken);
                await intake.SetDraftSecretsAsync(draft, new CallbackSecrets(number, secrets?.CodeWord), cancellationToken);
                return await MoveOnAsync(draft, correcting ? ConfirmStep : WhenStep, language, cancellationToken);
            }

            case WhenStep:
            {
                IReadOnlyList<SafeWindow> windows;
                if (answer == CallbackAnswer.Skip)
                {
                    windows = intake.AnyTime();
                }
                else if (intake.ReadWindows(text, language) is { Understood: true } reading)
                {
                    windows = reading.Windows;
                }
                else
                {
                    return texts.Get(language, CallerText.CallbackWhenNotUnderstood) + "\n\n" + texts.Get(language, CallerText.CallbackAskWhen);
                }

                return await MoveOnAsync(draft with { Windows = windows }, correcting ? ConfirmStep : MessageStep, language, cancellationToken);
            }

            case MessageStep:
            {
                bool? mayLeave = answer switch
                {
                    CallbackAnswer.Yes or CallbackAnswer.Ok => true,
                    CallbackAnswer.No or CallbackAnswer.Skip => false,
                    _ => null,
                };
                return mayLeave is { } may
                    ? await MoveOnAsync(draft with { MayLeaveMessage = may }, correcting ? ConfirmStep : WordStep, language, cancellationToken)
                    : texts.Get(language, CallerText.CallbackAskMessage);
            }

            case WordStep:
            {
                if (answer != CallbackAnswer.Skip && (text.Length is 0 or > MaxCodeWordLength))
                {
                    return texts.Get(language, CallerText.CallbackAskWord);
                }

                var secrets = await intake.DraftSecretsAsync(draft, cancellationToken) ?? new CallbackSecrets(message.From, null);
                await intake.SetDraftSecretsAsync(
                    draft, secrets with { CodeWord = answer == CallbackAnswer.Skip ? null : text }, cancellationToken);
                return await MoveOnAsync(draft, ConfirmStep, language, cancellationToken);
            }

            default: // the confirmation
                switch (answer)
                {
                    case CallbackAnswer.Ok:
                        return await intake.ConfirmAsync(draft, cancellationToken) ? texts.Get(language, CallerText.CallbackConfirmed) : null;
                    case CallbackAnswer.Number:
                        return await MoveOnAsync(draft, NumberStep + Correction, language, cancellationToken);
                    case CallbackAnswer.Time:
                        return await MoveOnAsync(draft, WhenStep + Correction, language, cancellationToken);
                    case CallbackAnswer.Message:
                        return await MoveOnAsync(draft, MessageStep + Correction, language, cancellationToken);
                    case CallbackAnswer.Word:
                        return await MoveOnAsync(draft, WordStep + Correction, language, cancellationToken);
                    default:
                        return await SummaryAsync(draft, language, cancellationToken);
                }
        }
    }

    /// <summary>Saves the draft at its next question and asks it; null when the draft changed meanwhile.</summary>
    private async Task<string?> MoveOnAsync(CallbackRequest draft, string step, string language, CancellationToken cancellationToken)
    {
        var moved = draft with { SetupStep = step };
        if (!await intake.UpdateDraftAsync(moved, cancellationToken))
        {
            return null;
        }

        return QuestionOf(step) switch
        {
            NumberStep => texts.Get(language, CallerText.CallbackAskNumber),
            WhenStep => texts.Get(language, CallerText.CallbackAskWhen),
            MessageStep => texts.Get(language, CallerText.CallbackAskMessage),
            WordStep => texts.Get(language, CallerText.CallbackAskWord),
            _ => await SummaryAsync(moved, language, cancellationToken),
        };
    }

    /// <summary>What she gave, read back: only the number's last four digits, and never the code word itself.</summary>
    private async Task<string> SummaryAsync(CallbackRequest draft, string language, CancellationToken cancellationToken)
    {
        var secrets = await intake.DraftSecretsAsync(draft, cancellationToken);
        var digits = new string((secrets?.PhoneNumber ?? "").Where(char.IsAsciiDigit).ToArray());
        return texts.Get(language, CallerText.CallbackSummary, new Dictionary<string, string>
        {
            ["Number"] = "•••• " + digits[Math.Max(0, digits.Length - 4)..],
            ["Windows"] = intake.Describe(draft.Windows.Count > 0 ? draft.Windows : intake.AnyTime(), language),
            ["Message"] = texts.Get(language, draft.MayLeaveMessage ? CallerText.CallbackMessageYes : CallerText.CallbackMessageNo),
            ["Word"] = texts.Get(language, secrets?.CodeWord is null ? CallerText.CallbackWordNone : CallerText.CallbackWordSet),
        });
    }

    private static string QuestionOf(string? step) =>
        step is null ? ConfirmStep : step.EndsWith(Correction, StringComparison.Ordinal) ? step[..^Correction.Length] : step;

    /// <summary>Which answer word she wrote, in her language or in English; null for anything else.</summary>
    private CallbackAnswer? AnswerOf(string text, string language)
    {
        var folded = SafeTimeWords.Fold(text).Trim(' ', '.', '!');
        if (folded.Length is 0 or > 30)
        {
            return null;
        }

        foreach (var answer in Enum.GetValues<CallbackAnswer>())
        {
            if (texts.CallbackAnswerWords(language, answer).Concat(texts.CallbackAnswerWords(CallerTexts.FallbackLanguage, answer))
                .Any(w => SafeTimeWords.Fold(w) == folded))
            {
                return answer;
            }
        }

        return null;
    }

    /// <summary>The country of the hotline number she wrote to, for a number she gives in national form.</summary>
    private static string RegionOf(string hotlineNumber)
    {
        try
        {
            return Phones.GetRegionCodeForNumber(Phones.Parse(hotlineNumber, "ZZ")) ?? "ZZ";
        }
        catch (NumberParseException)
        {
            return "ZZ";
        }
    }

    /// <summary>Her language's plain words for why the number cannot be used.</summary>
    private static CallerText ReasonFor(CallbackNumberReading reading) =>
        reading.Issue switch
        {
            CallbackNumberIssue.WrongLength => CallerText.CallbackNumberWrongLength,
            CallbackNumberIssue.NotANumber => CallerText.CallbackNumberNotANumber,
            _ => CallerText.CallbackNumberNotCallable,
        };
}

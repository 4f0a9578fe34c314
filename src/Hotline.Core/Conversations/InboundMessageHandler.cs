using Hotline.Callbacks;
using Hotline.Escalations;
using Hotline.Language;
using Hotline.Messaging;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Routing;

namespace Hotline.Conversations;

/// <summary>A message from a caller as the channel delivered it. <see cref="From"/> is the only place the number appears.</summary>
/// <param name="From">The caller's address on the channel: a phone number (SMS) or the anonymous session token (chat).</param>
/// <param name="To">The hotline number or entry point the caller used.</param>
/// <param name="Language">The language the caller chose where the channel lets them (the chat page's picker).</param>
public sealed record InboundMessage(
    string Channel,
    string ProviderMessageId,
    string From,
    string To,
    SensitiveText Body,
    DateTimeOffset ReceivedAt,
    string? Language = null);

/// <summary>What happened to an inbound message, and what to answer the caller at once (if anything).</summary>
/// <param name="Blocked">The caller is blocked: the message was dropped, unstored and unanswered.</param>
/// <param name="NeedsRouting">The conversation waits for its first counsellor: the channel may route it at once
/// (a durable routing request is already queued, see <see cref="InboundSettings.RoutingRequestDelay"/>).</param>
/// <param name="RoutingFallback">The delayed routing request queued as the fallback, which in-process routing may
/// withdraw once it has routed the conversation; null when there is none to withdraw.</param>
public sealed record InboundOutcome(
    bool Duplicate, string? ConversationId, string? Reply, bool NeedsRouting = false, bool Blocked = false, QueuedMessage? RoutingFallback = null);

/// <summary>Where the hotline answers and in what language.</summary>
/// <param name="NumberLanguages">Hotline numbers that serve one language; any other number is multilingual.</param>
/// <param name="EmergencyNumber">Told to callers out of hours (e.g. 112).</param>
/// <param name="RoutingRequestDelay">How long the queued routing request of a new conversation stays invisible. When
/// the process routes new conversations at once itself, the queued request is only the durable fallback for a process
/// that stopped before it could, and the delay keeps the two from racing.</param>
public sealed record InboundSettings(
    IReadOnlyDictionary<string, string> NumberLanguages,
    IReadOnlyList<string> Languages,
    string EmergencyNumber,
    TimeSpan RoutingRequestDelay = default,
    bool AnswerOptOutKeywords = false);

/// <summary>
/// Takes a caller's message into the hotline: finds or starts their conversation by pseudonym, stores the message
/// (once, however often the provider delivers it), and decides the immediate answer: an acknowledgement in the
/// caller's language for a new conversation (or the out-of-hours answer when nobody is on call), the language menu,
/// or nothing. New conversations are handed to the router through a queue.
/// </summary>
public sealed class InboundMessageHandler(
    IConversationStore store,
    IRosterStore roster,
    IWorkQueue queue,
    ICounsellorLoads loads,
    CallerPseudonymizer pseudonymizer,
    ReplyAddressProtector replyAddresses,
    CallerTexts texts,
    InboundSettings settings,
    DangerWordDetector danger,
    EmergencyRaiser emergencies,
    RoutingPolicy policy,
    SmsCallbackExchange callbacks,
    CallbackIntake callbackIntake,
    TimeProvider time)
{
    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
        { "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT" };

    private static readonly HashSet<string> StartWords = new(StringComparer.OrdinalIgnoreCase) { "START", "YES", "UNSTOP" };

    private static readonly HashSet<string> MenuWords = new(StringComparer.OrdinalIgnoreCase) { "LANG", "MENU" };

    private const string SystemActor = "system";

    private static readonly HashSet<string> HelpWords = new(StringComparer.OrdinalIgnoreCase) { "HELP", "INFO" };

    public async Task<InboundOutcome> HandleAsync(InboundMessage message, CancellationToken cancellationToken = default)
    {
        var isSms = message.Channel == Channels.Sms;
        var pseudonym = isSms
            ? await pseudonymizer.PseudonymOfAsync(message.From, cancellationToken)
            : await pseudonymizer.PseudonymOfSessionAsync(message.From, cancellationToken);

        // A message taken in before is answered as a duplicate, even once its conversation is closed or erased: a
        // replayed webhook must not bring back what the caller had erased. The marker is written only after the
        // message is handled, so a delivery that died half-way is completed by the retry (the conversation's own
        // marker keeps that from storing anything twice, also when deliveries run in parallel).
        var marker = ProcessedMarker(pseudonym, message.ProviderMessageId);
        var seen = store.WasProcessedAsync(marker, cancellationToken);
        var callerRead = store.FindCallerAsync(pseudonym, cancellationToken);
        await Task.WhenAll(seen, callerRead);
        if (await seen)
        {
            return new InboundOutcome(true, null, null);
        }

        var outcome = await HandleNewAsync(message, isSms, pseudonym, await callerRead, cancellationToken);
        await store.RememberProcessedAsync(marker, time.GetUtcNow(), cancellationToken);
        return outcome;
    }

    /// <summary>
    /// The record of a message taken in: a hash of the caller's pseudonym (itself keyed) and the provider's message
    /// id, so it names neither the caller nor the message, and chat message ids (chosen by the page) stay apart per session.
    /// </summary>
    private static string ProcessedMarker(string pseudonym, string providerMessageId) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(pseudonym + "\n" + providerMessageId)));

    private async Task<InboundOutcome> HandleNewAsync(
        InboundMessage message, bool isSms, string pseudonym, CallerRecord? caller, CancellationToken cancellationToken)
    {
        // Keywords (STOP, LANG, language codes, delete words) are an SMS convention; the chat page has buttons.
        var keyword = isSms ? message.Body.Reveal().Trim() : string.Empty;
        var chosenLanguage = LanguageKeyword(keyword);

        if (IsDeleteKeyword(keyword))
        {
            return await EraseAsync(pseudonym, caller, message, cancellationToken);
        }

        if (caller is not null && caller.IsBlockedAt(time.GetUtcNow()))
        {
            // Silence rather than a refusal: an answer would only invite more. Nothing is stored or routed.
            return new InboundOutcome(false, null, null, Blocked: true);
        }

        if (caller?.OpenConversationId is { } openId)
        {
            var open = await store.FindAsync(openId, cancellationToken);
            if (open is { IsOpen: true })
            {
                return await ContinueAsync(open, message, keyword, chosenLanguage, cancellationToken);
            }

            if (open is not null)
            {
                // Still linked to a conversation that was closed (its unlinking failed or is under way): the caller
                // starts a new one rather than writing into one nobody reads.
                await store.UnlinkCallerAsync(pseudonym, openId, cancellationToken);
                caller = await store.FindCallerAsync(pseudonym, cancellationToken);
            }
        }

        var language = chosenLanguage
            ?? (message.Language is { } picked && settings.Languages.Contains(picked) ? picked : null)
            ?? settings.NumberLanguages.GetValueOrDefault(PhoneNumberNormalizer.Normalize(message.To))
            ?? LanguageDetector.Default.Detect(message.Body.Reveal(), settings.Languages).Language;

        // A previous delivery may have linked the caller before it failed; reuse that conversation id.
        var id = caller?.OpenConversationId ?? ConversationIds.New();
        // Only a new conversation needs the roster (is anyone on call?): read it while the conversation is stored.
        var rosterRead = roster.ListAsync(cancellationToken);
        var linked = await store.LinkCallerAsync(pseudonym, id, language, caller, cancellationToken);
        if (linked != id && await store.FindAsync(linked, cancellationToken) is { IsOpen: true } raced)
        {
            return await ContinueAsync(raced, message, keyword, chosenLanguage, cancellationToken);
        }

        id = linked;
        var now = time.GetUtcNow();
        var conversation = new Conversation
        {
            Id = id,
            Channel = message.Channel,
            Language = language,
            CallerPseudonym = pseudonym,
            CallerContacts = (caller?.Contacts ?? 0) + 1,
            CreatedAt = now,
            LastMessageAt = message.ReceivedAt,
            LastInboundAt = message.ReceivedAt,
            HotlineNumber = message.To,
            Reachable = !StopWords.Contains(keyword),
            CallbackRequestedAt = callbacks.IsRequest(keyword) ? now : null,
            // Only SMS needs an address to reply to; a chat page fetches its replies itself.
            ProtectedReplyAddress = isSms ? await replyAddresses.ProtectAsync(message.From, id, cancellationToken) : null,
        };
        // Danger words raise an emergency quietly: the caller's answer stays exactly the same.
        var dangerSource = DangerSource(message);
        var dangerous = dangerSource is not null;
        if (dangerous)
        {
            conversation = emergencies.Mark(conversation, dangerSource!);
        }

        var first = new ConversationMessage(NewMessageId(), MessageDirection.Inbound, message.Body, message.ReceivedAt);
        var creating = store.CreateAsync(conversation, first, message.ProviderMessageId, cancellationToken);
        // A delayed routing request cannot overtake the conversation it names, so it is queued while that is stored.
        // (Should the conversation exist already, routing it again is harmless.)
        var routingRequested = settings.RoutingRequestDelay > TimeSpan.Zero ? RequestRoutingAsync(id, cancellationToken) : null;
        if (routingRequested is not null)
        {
            await Task.WhenAll(creating, routingRequested);
        }

        if (!await creating)
        {
            // Another message from this caller created the conversation first (or this is a redelivery): append
            // to it; the provider message id still catches a true duplicate.
            var existing = await store.FindAsync(id, cancellationToken) ?? throw new ConversationChangedException(id);
            return await ContinueAsync(existing, message, keyword, chosenLanguage, cancellationToken);
        }

        var fallback = await (routingRequested ?? RequestRoutingAsync(id, cancellationToken));
        if (dangerous)
        {
            await emergencies.AnnounceAsync(conversation, dangerSource!, SystemActor, cancellationToken);
        }

        if (!conversation.Reachable)
        {
            var stopped = settings.AnswerOptOutKeywords ? texts.Get(language, CallerText.StopConfirmation) : null;
            return new InboundOutcome(false, id, stopped, NeedsRouting: true);
        }

        // The answer promises only what will happen: who on call and present can take this language, if anyone.
        var tier = ConversationRouter.ExpectedTier(language, await rosterRead, policy, time.GetUtcNow());
        var reply = conversation.CallbackRequestedAt is not null
            ? await callbacks.StartAsync(conversation, message, cancellationToken) ?? texts.Get(language, CallerText.CallbackConfirmation)
            : tier is null
            ? OutOfHours(language, isSms)
            : !isSms
                ? WithLanguage(language, tier, CallerText.ChatAcknowledgement, CallerText.ChatAcknowledgementInterpreter, CallerText.ChatAcknowledgementOtherLanguage)
            : MenuWords.Contains(keyword)
                ? texts.LanguageMenu(language, settings.Languages)
                : HelpWords.Contains(keyword)
                    ? texts.Get(language, CallerText.Help)
                    : WithLanguage(language, tier, CallerText.Acknowledgement, CallerText.AcknowledgementInterpreter, CallerText.AcknowledgementOtherLanguage);
        return new InboundOutcome(false, id, reply, NeedsRouting: true, RoutingFallback: fallback);
    }

    private string OutOfHours(string language, bool isSms) =>
        texts.Get(language, isSms ? CallerText.OutOfHours : CallerText.ChatOutOfHours,
            new Dictionary<string, string> { ["EmergencyNumber"] = settings.EmergencyNumber });

    /// <summary>The text for who will answer: a speaker of the language, a counsellor with an interpreter, or someone else.</summary>
    private string WithLanguage(string language, string tier, CallerText speaker, CallerText interpreter, CallerText other) =>
        texts.Get(language, tier switch
        {
            ConversationRouter.LanguageTier => speaker,
            ConversationRouter.InterpreterServiceTier or ConversationRouter.AnyWithInterpreterTier => interpreter,
            _ => other,
        }, new Dictionary<string, string> { ["Language"] = texts.LanguageName(language) });

    /// <summary>
    /// The answer to a language switch. A conversation a counsellor accepted stays with them, so it depends on them;
    /// any other goes to whoever on call and present can take the new language (out of hours: nobody).
    /// </summary>
    private async Task<string> LanguageSwitchedAsync(Conversation conversation, string language, CancellationToken cancellationToken)
    {
        var counsellors = await roster.ListAsync(cancellationToken);
        var tier = conversation.Status == ConversationStatus.Active && counsellors.FirstOrDefault(c => c.Id == conversation.AssignedTo) is { } holder
            ? ConversationRouter.TierOf(holder, language)
            : ConversationRouter.ExpectedTier(language, counsellors, policy, time.GetUtcNow());
        return tier is null
            ? OutOfHours(language, isSms: true)
            : WithLanguage(language, tier, CallerText.LanguageSwitched, CallerText.LanguageSwitchedInterpreter, CallerText.LanguageSwitchedOtherLanguage);
    }

    /// <summary>
    /// Why a message raises an emergency, e.g. "danger-word: held-against-will", or null. The situation, not the
    /// caller's words, is what the supervisor is told and the log keeps.
    /// </summary>
    private string? DangerSource(InboundMessage message) =>
        danger.Find(message.Body.Reveal()) is { } match ? EmergencyRaiser.DangerWordSource + ": " + match.Situation.Id() : null;

    // Without a delay the queued request is the routing itself, not a fallback, so it is never withdrawn.
    private async Task<QueuedMessage?> RequestRoutingAsync(string conversationId, CancellationToken cancellationToken) =>
        settings.RoutingRequestDelay > TimeSpan.Zero
            ? await queue.EnqueueWithdrawableAsync(QueueNames.ConversationsToRoute, new RouteRequest(conversationId), settings.RoutingRequestDelay, cancellationToken)
            : await EnqueueNowAsync(conversationId, cancellationToken);

    private async Task<QueuedMessage?> EnqueueNowAsync(string conversationId, CancellationToken cancellationToken)
    {
        await queue.EnqueueAsync(QueueNames.ConversationsToRoute, new RouteRequest(conversationId), cancellationToken);
        return null;
    }

    private async Task<InboundOutcome> ContinueAsync(
        Conversation conversation, InboundMessage message, string keyword, string? chosenLanguage, CancellationToken cancellationToken)
    {
        // While she sets up a callback, her number and code word are kept only with the request, never as she wrote them.
        var draft = message.Channel == Channels.Sms ? await callbacks.DraftOfAsync(conversation, cancellationToken) : null;
        var body = draft is not null && SmsCallbackExchange.TranscriptLineFor(draft) is { } line ? new SensitiveText(line) : message.Body;
        var stored = new ConversationMessage(NewMessageId(), MessageDirection.Inbound, body, message.ReceivedAt);
        if (!await store.AppendAsync(conversation.Id, stored, message.ProviderMessageId, cancellationToken))
        {
            // A redelivery: if the first delivery marked an emergency and died before announcing it, finish that now.
            if (conversation.EscalationId is not null)
            {
                await emergencies.EnsureAnnouncedAsync(conversation, DangerSource(message) ?? EmergencyRaiser.DangerWordSource, SystemActor, cancellationToken);
            }
            return new InboundOutcome(true, conversation.Id, null);
        }

        string? reply = null;
        string? takenBackFrom = null;
        Func<Conversation, Conversation>? change = null;
        var optOutAnswer = false;
        if (StopWords.Contains(keyword))
        {
            change = c => c with { Reachable = false };
            // Twilio's own opt-out handling answers STOP and START unless the account turned it off for us to answer.
            reply = settings.AnswerOptOutKeywords ? texts.Get(conversation.Language, CallerText.StopConfirmation) : null;
            optOutAnswer = true;
            // Twilio has opted her out (CANCEL is one of its words): a callback she was setting up ends too, the safe reading.
            if (draft is not null)
            {
                await callbacks.CancelAsync(draft, cancellationToken);
            }
        }
        else if (callbacks.IsRequest(keyword))
        {
            reply = await callbacks.StartAsync(conversation, message, cancellationToken) ?? texts.Get(conversation.Language, CallerText.CallbackConfirmation);
        }
        else if (draft is not null)
        {
            reply = await callbacks.AnswerAsync(conversation, draft, message, cancellationToken);
            if (StartWords.Contains(keyword))
            {
                change = c => c with { Reachable = true }; // YES opts her in again at Twilio as well
            }
        }
        else if (StartWords.Contains(keyword))
        {
            change = c => c with { Reachable = true };
            reply = settings.AnswerOptOutKeywords ? texts.Get(conversation.Language, CallerText.StartConfirmation) : null;
        }
        else if (MenuWords.Contains(keyword))
        {
            reply = texts.LanguageMenu(conversation.Language, settings.Languages);
        }
        else if (HelpWords.Contains(keyword))
        {
            reply = texts.Get(conversation.Language, CallerText.Help);
        }
        else if (chosenLanguage is not null)
        {
            change = c => ChangeLanguage(c, chosenLanguage, out takenBackFrom);
        }

        var changed = change is null ? conversation : await UpdateAsync(conversation, change, cancellationToken);
        if (chosenLanguage is not null && reply is null)
        {
            reply = await LanguageSwitchedAsync(changed, chosenLanguage, cancellationToken);
        }

        if (changed.EscalationId is null && DangerSource(message) is { } source)
        {
            changed = await emergencies.RaiseAsync(changed, source, SystemActor, cancellationToken);
        }
        if (takenBackFrom is not null)
        {
            await loads.ReleaseAsync(takenBackFrom, conversation.Id, cancellationToken);
        }

        var needsRouting = changed.Status is ConversationStatus.New || takenBackFrom is not null;
        // A new conversation whose routing request may have been lost, or one whose offer was taken back: ask again
        // (routing is idempotent).
        var fallback = needsRouting ? await RequestRoutingAsync(conversation.Id, cancellationToken) : null;

        // Nothing goes to a caller who opted out, but the one confirmation of it.
        return new InboundOutcome(false, conversation.Id, changed.Reachable || optOutAnswer ? reply : null, needsRouting, RoutingFallback: fallback);
    }

    private bool IsDeleteKeyword(string keyword) =>
        keyword.Length is > 0 and <= 20
        && texts.Languages.Any(l => texts.DeleteKeywords(l).Contains(keyword.ToUpperInvariant(), StringComparer.Ordinal));

    /// <summary>
    /// The caller asked for their data to be erased: every conversation they started (messages, reply address,
    /// routing), open or closed, and their caller record go, and the confirmation is the last thing sent. A
    /// redelivered request erases nothing more and confirms again, which is harmless.
    /// </summary>
    private async Task<InboundOutcome> EraseAsync(string pseudonym, CallerRecord? caller, InboundMessage message, CancellationToken cancellationToken)
    {
        var language = caller?.Language ?? LanguageDetector.Default.Detect(message.Body.Reveal(), settings.Languages).Language;
        if (caller?.Version is null)
        {
            return new InboundOutcome(false, null, texts.Get(language, CallerText.DeleteConfirmation)); // nothing (more) to erase
        }

        var open = caller.OpenConversationId is { } id ? await store.FindAsync(id, cancellationToken) : null;
        language = open?.Language ?? language;
        // A callback she asked for goes with her data, and its number and code word are destroyed.
        await callbackIntake.CancelForConversationsAsync(
            caller.ConversationIds.Append(caller.OpenConversationId).Append(caller.LastConversationId).OfType<string>(), cancellationToken);
        await store.EraseCallerAsync(caller, cancellationToken);
        if (open?.AssignedTo is { } counsellor)
        {
            await loads.ReleaseAsync(counsellor, open.Id, cancellationToken);
        }

        return new InboundOutcome(false, null, texts.Get(language, CallerText.DeleteConfirmation));
    }

    // The message is already stored, so a change must not be lost to a concurrent update (the router offering the
    // conversation at the same moment): re-read and re-apply until it sticks.
    /// <summary>
    /// Switches the conversation's language. One offered but not yet accepted is taken back from the counsellor and
    /// routed again, so the caller reaches someone who speaks the language they chose; once accepted, it stays.
    /// </summary>
    private Conversation ChangeLanguage(Conversation c, string language, out string? takenBackFrom)
    {
        takenBackFrom = null;
        if (c.Status != ConversationStatus.Offered || c.Language == language)
        {
            return c with { Language = language };
        }

        takenBackFrom = c.AssignedTo;
        return c with
        {
            Language = language,
            Status = ConversationStatus.Waiting,
            AssignedTo = null,
            OfferedAt = null,
            Hops = [.. c.Hops, new RoutingHop(time.GetUtcNow(), c.AssignedTo, "language changed to " + language)],
        };
    }

    private async Task<Conversation> UpdateAsync(Conversation conversation, Func<Conversation, Conversation> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var changed = change(conversation);
            if (await store.TryUpdateAsync(changed, cancellationToken))
            {
                return changed;
            }

            conversation = await store.FindAsync(conversation.Id, cancellationToken) ?? throw new ConversationChangedException(conversation.Id);
        }

        throw new ConversationChangedException(conversation.Id);
    }

    /// <summary>A message that is only a language code we serve ("RO", "uk") chooses that language.</summary>
    private string? LanguageKeyword(string keyword) =>
        keyword.Length is 2 or 3 && settings.Languages.FirstOrDefault(l => string.Equals(l, keyword, StringComparison.OrdinalIgnoreCase)) is { } code
            ? code
            : null;

    private static string NewMessageId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
}

using Hotline.Callbacks;
using Hotline.Conversations;
using Hotline.Escalations;
using Hotline.Messaging;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Routing;
using PhoneNumbers;

namespace Hotline.Calls;

/// <summary>A call as the telephone provider announces it. <see cref="From"/> is the only place the number appears.</summary>
public sealed record IncomingCall(string CallSid, string From, string To, DateTimeOffset At);

/// <summary>What the line does with a new call: drop it (a blocked caller), ask for the language, or go on in it.</summary>
public sealed record CallStart(string? ConversationId, string? Language, bool Blocked)
{
    public bool NeedsLanguage => !Blocked && Language is null;
}

/// <summary>Counsellors to ring at once for a call, and the tier of the routing chain they were found in.</summary>
public sealed record RingRound(int Number, string Tier, IReadOnlyList<Counsellor> Counsellors);

public enum AcceptResult
{
    /// <summary>This counsellor gets the call.</summary>
    Accepted,

    /// <summary>Someone else accepted first, or the caller is gone.</summary>
    Taken,
}

/// <summary>
/// The hotline's side of a phone call, free of any telephony API: a call starts or joins the caller's conversation
/// (by pseudonym, as for SMS), learns its language, may raise an emergency, rings counsellors tier by tier, is
/// accepted by exactly one of them, and ends answered, with a voicemail or a callback request, or abandoned. Every
/// step is saved on the conversation with its storage version, so two counsellors accepting at once, or a webhook
/// delivered twice, change it once.
/// </summary>
public sealed class CallDesk(
    IConversationStore store,
    IRosterStore roster,
    ICounsellorLoads loads,
    IContactStatistics statistics,
    CallerPseudonymizer pseudonymizer,
    EmergencyRaiser emergencies,
    ConversationCloser closer,
    IVoicemailRecordings recordings,
    IWorkQueue queue,
    InboundSettings settings,
    RoutingPolicy policy,
    CallbackIntake callbacks,
    ICallbackStore callbackRequests,
    TimeProvider time)
{
    public const string PressedNineSource = "pressed-9";

    private const string SystemActor = "system";

    public async Task<CallStart> StartAsync(IncomingCall call, CancellationToken cancellationToken = default)
    {
        var pseudonym = await pseudonymizer.PseudonymOfAsync(call.From, cancellationToken);
        var caller = await store.FindCallerAsync(pseudonym, cancellationToken);
        if (caller is not null && caller.IsBlockedAt(time.GetUtcNow()))
        {
            return new CallStart(null, null, Blocked: true);
        }

        var mapped = settings.NumberLanguages.GetValueOrDefault(PhoneNumberNormalizer.Normalize(call.To));
        if (caller?.OpenConversationId is { } openId && await store.FindAsync(openId, cancellationToken) is { IsOpen: true } open)
        {
            // A repeat caller's call joins their open conversation, in its language: they chose it already.
            return await JoinAsync(open, call, cancellationToken);
        }

        var id = caller?.OpenConversationId ?? ConversationIds.New();
        var language = mapped ?? settings.Languages[0];
        var linked = await store.LinkCallerAsync(pseudonym, id, language, caller, cancellationToken);
        if (linked != id && await store.FindAsync(linked, cancellationToken) is { IsOpen: true } raced)
        {
            return await JoinAsync(raced, call, cancellationToken);
        }

        var conversation = new Conversation
        {
            Id = linked,
            Channel = Channels.Voice,
            Language = language,
            CallerPseudonym = pseudonym,
            CallerContacts = (caller?.Contacts ?? 0) + 1,
            CreatedAt = call.At,
            LastMessageAt = call.At,
            LastInboundAt = call.At,
            HotlineNumber = call.To,
            Calls = [NewCall(call, languageKnown: mapped is not null)],
        };
        var started = new ConversationMessage(NewMessageId(), MessageDirection.Inbound, new SensitiveText(CallEvents.Started), call.At, SystemActor);
        // The call's id marks the conversation, so a retried webhook finds it instead of starting another.
        if (!await store.CreateAsync(conversation, started, call.CallSid, cancellationToken))
        {
            var existing = await store.FindAsync(linked, cancellationToken) ?? throw new ConversationChangedException(linked);
            return await JoinAsync(existing, call, cancellationToken);
        }

        await statistics.RecordContactAsync(conversation, cancellationToken);
        return new CallStart(conversation.Id, mapped, Blocked: false);
    }

    private async Task<CallStart> JoinAsync(Conversation conversation, IncomingCall call, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            if (conversation.Calls.Any(c => c.CallSid == call.CallSid))
            {
                return new CallStart(conversation.Id, conversation.CurrentCall?.Phase == CallPhase.Menu ? null : conversation.Language, false);
            }

            // The conversation's language was chosen, unless it is a call's that never left the language menu (its
            // language is then only the placeholder): that caller hears the menu again.
            var chosen = conversation.Channel != Channels.Voice
                || conversation.Calls.Any(c => c.Phase != CallPhase.Menu && c.Outcome != CallOutcome.AbandonedInMenu);
            var joined = conversation with { Calls = [.. conversation.Calls, NewCall(call, languageKnown: chosen)] };
            if (await store.TryUpdateAsync(joined, cancellationToken))
            {
                await store.AppendAsync(conversation.Id,
                    new ConversationMessage(NewMessageId(), MessageDirection.Inbound, new SensitiveText(CallEvents.Started), call.At, SystemActor),
                    null, cancellationToken);
                return new CallStart(conversation.Id, chosen ? conversation.Language : null, false);
            }

            conversation = await store.FindAsync(conversation.Id, cancellationToken) ?? throw new ConversationChangedException(conversation.Id);
        }

        throw new ConversationChangedException(conversation.Id);
    }

    private static PhoneCall NewCall(IncomingCall call, bool languageKnown) =>
        new(call.CallSid, call.At) { Phase = languageKnown ? CallPhase.Safety : CallPhase.Menu, Line = call.To };

    /// <summary>The conversation whose current call is <paramref name="callSid"/>, or null (unknown, or another call).</summary>
    public async Task<Conversation?> FindAsync(string conversationId, string callSid, CancellationToken cancellationToken = default) =>
        await store.FindAsync(conversationId, cancellationToken) is { } c && c.CurrentCall?.CallSid == callSid ? c : null;

    /// <summary>The caller chose a language in the menu (or the menu fell back to the default).</summary>
    public Task<Conversation?> ChooseLanguageAsync(string conversationId, string callSid, string language, CancellationToken cancellationToken = default) =>
        UpdateCallAsync(conversationId, callSid, (c, call) => call.Phase != CallPhase.Menu
            ? null
            : c with { Language = language, Calls = Replace(c, call with { Phase = CallPhase.Safety }) }, cancellationToken);

    /// <summary>The caller pressed 9 (in danger now): an emergency, as a danger word raises one; nothing changes for the caller.</summary>
    public async Task RaiseEmergencyAsync(string conversationId, string callSid, CancellationToken cancellationToken = default)
    {
        if (await FindAsync(conversationId, callSid, cancellationToken) is { } conversation)
        {
            await emergencies.RaiseAsync(conversation, PressedNineSource, SystemActor, cancellationToken);
        }
    }

    /// <summary>
    /// Picks who to ring next and records it: the next tier of the routing chain (the caller's language first, then
    /// the fallback chain), present and on-call counsellors who take calls on a phone, at most
    /// <see cref="CallRouter.MaxRungAtOnce"/>. For an emergency, the first round also rings the supervisor on duty. Null when
    /// nobody is left to ring: the caller is then offered a voicemail or a callback.
    /// </summary>
    /// <param name="roundEndsAtQueueSeconds">When the round ends, in seconds of the caller's wait as the provider counts them.</param>
    /// <param name="read">The conversation as the caller of this method just read it, if it did: saves reading it
    /// again (a stale one only costs a retry, since saving checks its version).</param>
    public async Task<RingRound?> NextRoundAsync(
        string conversationId, string callSid, int roundEndsAtQueueSeconds, Conversation? read = null, CancellationToken cancellationToken = default)
    {
        var rosterRead = roster.ListAsync(cancellationToken);
        var heldRead = loads.HeldAsync(cancellationToken);
        await Task.WhenAll(rosterRead, heldRead);
        var (counsellors, held) = (await rosterRead, await heldRead);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var current = attempt == 0 && read?.Id == conversationId && read.CurrentCall?.CallSid == callSid
                ? read
                : await FindAsync(conversationId, callSid, cancellationToken);
            if (current is not { } conversation
                || conversation.CurrentCall is not { Phase: CallPhase.Safety or CallPhase.Ringing } call)
            {
                return null;
            }

            var open = held.ToDictionary(h => h.Key, h => h.Value.Count(id => id != conversationId), StringComparer.Ordinal);
            var now = time.GetUtcNow();
            var tiers = CallRouter.RankCallTiers(conversation.Language, counsellors, open, policy, now, exclude: call.Rung.ToHashSet(StringComparer.Ordinal));
            var round = tiers.FirstOrDefault();
            var ringing = round?.Candidates.Select(c => c.Counsellor).ToList() ?? [];
            if (round is not null && conversation.EmergencyAt is not null && call.Rounds == 0)
            {
                ringing.AddRange(tiers.Skip(1).Where(t => t.Tier == ConversationRouter.SupervisorTier).SelectMany(t => t.Candidates.Select(c => c.Counsellor)));
            }

            ringing = ringing.DistinctBy(c => c.Id).Take(CallRouter.MaxRungAtOnce).ToList();
            var next = ringing.Count == 0
                ? call with { Phase = CallPhase.Offer, WaitingSince = call.WaitingSince ?? now, OfferedAt = now }
                : call with
                {
                    Phase = CallPhase.Ringing,
                    WaitingSince = call.WaitingSince ?? now,
                    Rounds = call.Rounds + 1,
                    Rung = [.. call.Rung, .. ringing.Select(c => c.Id)],
                    RoundEndsAtQueueSeconds = roundEndsAtQueueSeconds,
                };
            var hop = ringing.Count == 0
                ? new RoutingHop(now, null, "call: nobody left to ring")
                : new RoutingHop(now, null, $"call: ringing {ringing.Count} ({round!.Tier})");
            if (await store.TryUpdateAsync(conversation with { Calls = Replace(conversation, next), Hops = [.. conversation.Hops, hop] }, cancellationToken))
            {
                return ringing.Count == 0 ? null : new RingRound(next.Rounds, round!.Tier, ringing);
            }
        }

        throw new ConversationChangedException(conversationId);
    }

    /// <summary>
    /// Notes the calls made to counsellors' phones for a round, so they can be stopped later. False when the caller's
    /// call moved on meanwhile (taken, offered a message, over): those phones should stop ringing now.
    /// </summary>
    public async Task<bool> PhonesRungAsync(string conversationId, string callSid, IReadOnlyList<CounsellorRing> rings, CancellationToken cancellationToken = default)
    {
        if (rings.Count == 0)
        {
            return true;
        }

        var updated = await UpdateCallAsync(conversationId, callSid, (c, call) => call is not { Phase: CallPhase.Ringing, AnsweredBy: null }
            ? null
            : c with { Calls = Replace(c, call with { Rings = [.. call.Rings, .. rings] }) }, cancellationToken);
        return updated is not null;
    }

    /// <summary>
    /// The caller could not be kept waiting for a counsellor (the provider's queue failed): they are offered a
    /// voicemail or a callback at once. Null when the call is not waiting (already taken, offered or over).
    /// </summary>
    public Task<Conversation?> OfferNowAsync(string conversationId, string callSid, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        return UpdateCallAsync(conversationId, callSid, (c, call) => call is not { Phase: CallPhase.Safety or CallPhase.Ringing, AnsweredBy: null }
            ? null
            : c with
            {
                Calls = Replace(c, call with { Phase = CallPhase.Offer, WaitingSince = call.WaitingSince ?? now, OfferedAt = now }),
                Hops = [.. c.Hops, new RoutingHop(now, null, "call: could not wait in the queue")],
            }, cancellationToken);
    }

    /// <summary>
    /// A counsellor pressed 1 to accept. Exactly one counsellor gets the call, however many press at once: the
    /// conversation is saved with its version, and whoever saves second finds it answered.
    /// </summary>
    public async Task<AcceptResult> AcceptAsync(string conversationId, string callSid, string counsellorId, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            if (await FindAsync(conversationId, callSid, cancellationToken) is not { } conversation
                || conversation.CurrentCall is not { } call)
            {
                return AcceptResult.Taken;
            }

            if (call.AnsweredBy is { } answeredBy)
            {
                return answeredBy == counsellorId ? AcceptResult.Accepted : AcceptResult.Taken;
            }

            if (call.Phase != CallPhase.Ringing || !call.Rung.Contains(counsellorId))
            {
                return AcceptResult.Taken;
            }

            // The call is a conversation the counsellor now holds, whatever their capacity: they chose to take it.
            var reservation = await loads.TryReserveAsync(counsellorId, conversationId, int.MaxValue, cancellationToken);
            var now = time.GetUtcNow();
            var accepted = conversation with
            {
                Status = ConversationStatus.Active,
                AssignedTo = counsellorId,
                OfferedAt = conversation.OfferedAt ?? now,
                Calls = Replace(conversation, call with { Phase = CallPhase.Connected, AnsweredBy = counsellorId, AnsweredAt = now }),
                Hops = [.. conversation.Hops, new RoutingHop(now, counsellorId, "call answered by phone")],
            };
            if (await store.TryUpdateAsync(accepted, cancellationToken))
            {
                if (conversation.AssignedTo is { } previous && previous != counsellorId)
                {
                    await loads.ReleaseAsync(previous, conversationId, cancellationToken);
                }

                await statistics.RecordAcceptedAsync(accepted, now, cancellationToken);
                return AcceptResult.Accepted;
            }

            if (reservation == Reservation.Reserved)
            {
                await loads.ReleaseAsync(counsellorId, conversationId, cancellationToken);
            }
        }

        throw new ConversationChangedException(conversationId);
    }

    /// <summary>
    /// The counsellor who took the call and the caller are no longer connected (either hung up): the call was
    /// answered and is over.
    /// </summary>
    public async Task BridgeEndedAsync(string conversationId, string callSid, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var ended = await UpdateCallAsync(conversationId, callSid, (c, call) => call.AnsweredBy is null || call.Phase == CallPhase.Ended
            ? null
            : c with
            {
                Calls = Replace(c, call with { Phase = CallPhase.Ended, EndedAt = now, Outcome = CallOutcome.Answered }),
                LastMessageAt = now,
                LastOutboundAt = now, // a counsellor talked with the caller: they are not waiting for a reply
            },
            cancellationToken);
        if (ended is not null)
        {
            await FinishedAsync(ended, cancellationToken);
        }
    }

    /// <summary>The caller chose to leave a voicemail.</summary>
    public Task<Conversation?> StartVoicemailAsync(string conversationId, string callSid, CancellationToken cancellationToken = default) =>
        UpdateCallAsync(conversationId, callSid, (c, call) => call.Phase != CallPhase.Offer
            ? null
            : c with { Calls = Replace(c, call with { Phase = CallPhase.Voicemail }) }, cancellationToken);

    /// <summary>The caller's voicemail was recorded: once the call is over, a counsellor is found to listen to it.</summary>
    public async Task VoicemailRecordedAsync(string conversationId, string callSid, string recordingSid, int seconds, CancellationToken cancellationToken = default)
    {
        var updated = await UpdateCallAsync(conversationId, callSid, (c, call) => call.RecordingSid == recordingSid
            ? null
            : c with { Calls = Replace(c, call with { RecordingSid = recordingSid, RecordingSeconds = seconds, Outcome = CallOutcome.Voicemail }) },
            cancellationToken);
        if (updated is { CurrentCall.Phase: CallPhase.Ended })
        {
            // The call ended before the recording was reported: its end found nothing to follow up, so route it now.
            await RouteForFollowUpAsync(updated, cancellationToken);
        }
    }

    /// <summary>
    /// The number to call a caller back on: the one she is calling from (as the provider gave it), read for the country
    /// of the line she called. Null when it is withheld or cannot be called (the provider's placeholder for a withheld
    /// number, "anonymous", a short code...).
    /// </summary>
    public static string? CallbackNumberOf(string? from, string? line) =>
        CallbackNumber.Read(from ?? "", RegionOf(line), ownNumber: null).E164;

    /// <summary>
    /// The caller asked on the keypad to be called back: the request is made (once for the call, however often the
    /// provider retries) with her number kept only among the request's secrets, and the call records it; a counsellor
    /// is found to follow the conversation up once the call is over. Null when the call is not at the offer any more,
    /// or no request could be made.
    /// </summary>
    public async Task<CallbackRequest?> RequestCallbackAsync(string conversationId, string callSid, CallbackAsk ask, CancellationToken cancellationToken = default)
    {
        if (await FindAsync(conversationId, callSid, cancellationToken) is not { CurrentCall.Phase: CallPhase.Offer })
        {
            return null;
        }

        var made = await callbacks.RequestAsync(conversationId, Channels.Voice, callSid, ask, cancellationToken);
        if (made.Request is not { } request)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var updated = await UpdateCallAsync(conversationId, callSid, (c, call) => call.Phase != CallPhase.Offer
            ? null
            : c with
            {
                CallbackRequestedAt = c.CallbackRequestedAt ?? now,
                Calls = Replace(c, call with { Outcome = CallOutcome.CallbackRequested }),
            }, cancellationToken);
        if (updated is { CurrentCall.Phase: CallPhase.Ended })
        {
            await RouteForFollowUpAsync(updated, cancellationToken);
        }

        return request;
    }

    /// <summary>
    /// The caller of the call's callback request said a message may be left when she does not answer (the request
    /// is made without, the safe choice, so a caller who hangs up before answering is never left one).
    /// </summary>
    public async Task AllowCallbackMessageAsync(string conversationId, string callSid, CancellationToken cancellationToken = default)
    {
        var id = CallbackIntake.RequestIdFor(conversationId, callSid);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            if (await callbackRequests.FindAsync(id, cancellationToken) is not { Status: CallbackStatus.Waiting or CallbackStatus.Released, MayLeaveMessage: false } request
                || await callbackRequests.TryUpdateAsync(request with { MayLeaveMessage = true }, cancellationToken))
            {
                return;
            }
        }

        throw new InvalidOperationException($"Callback request {id} kept changing.");
    }

    private static string RegionOf(string? line)
    {
        try
        {
            var util = PhoneNumberUtil.GetInstance();
            return util.GetRegionCodeForNumber(util.Parse(line ?? "", "ZZ")) ?? "ZZ";
        }
        catch (NumberParseException)
        {
            return "ZZ"; // an unknown line: only a number in international form can be read
        }
    }

    /// <summary>
    /// A counsellor handled the conversation's voicemails (or closed it): each is deleted at the provider first, then
    /// forgotten here; an interrupted run is completed by the next (deleting one already gone is harmless). Returns
    /// how many were deleted.
    /// </summary>
    public async Task<int> VoicemailsHandledAsync(string conversationId, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            if (await store.FindAsync(conversationId, cancellationToken) is not { } conversation)
            {
                return 0;
            }

            var kept = conversation.Calls.Where(c => c.RecordingSid is not null).ToList();
            if (kept.Count == 0)
            {
                return 0;
            }

            foreach (var call in kept)
            {
                await recordings.DeleteAsync(call.RecordingSid!, cancellationToken);
            }

            var now = time.GetUtcNow();
            var handled = conversation with
            {
                Calls = conversation.Calls.Select(c => c.RecordingSid is null ? c : c with { RecordingSid = null, RecordingHandledAt = now }).ToList(),
            };
            if (await store.TryUpdateAsync(handled, cancellationToken))
            {
                return kept.Count;
            }
        }

        throw new ConversationChangedException(conversationId);
    }

    /// <summary>
    /// The call is over (Twilio's status callback). A call nobody answered and that left nothing to follow up is
    /// recorded as abandoned, in the menu or while waiting, and its conversation closed when the call was all it had.
    /// </summary>
    /// <returns>The call as it ended, when this request ended it (null when it was over already, or unknown).</returns>
    public async Task<PhoneCall?> CallEndedAsync(string callSid, string from, CancellationToken cancellationToken = default)
    {
        var pseudonym = await pseudonymizer.PseudonymOfAsync(from, cancellationToken);
        if (await store.FindCallerAsync(pseudonym, cancellationToken) is not { OpenConversationId: { } id })
        {
            return null;
        }

        var now = time.GetUtcNow();
        var ended = await UpdateCallAsync(id, callSid, (c, call) => call.Phase == CallPhase.Ended && call.EndedAt is not null
            ? null
            : c with
            {
                Calls = Replace(c, call with
                {
                    Phase = CallPhase.Ended,
                    EndedAt = call.EndedAt ?? now,
                    Outcome = call.Outcome ?? call.Phase switch
                    {
                        CallPhase.Menu => CallOutcome.AbandonedInMenu,
                        CallPhase.Connected => CallOutcome.Answered,
                        _ => CallOutcome.AbandonedWhileWaiting,
                    },
                }),
                LastMessageAt = now,
                LastOutboundAt = call.Phase == CallPhase.Connected ? now : c.LastOutboundAt,
            }, cancellationToken);
        if (ended is not null)
        {
            await FinishedAsync(ended, cancellationToken);
        }

        return ended?.CurrentCall;
    }

    /// <summary>
    /// Once a call is over (whichever of Twilio's requests said so first): its figures for the board, a line in the
    /// transcript, and, for a call nobody answered that left nothing to follow up, its conversation closed when the
    /// call was all it had.
    /// </summary>
    private async Task FinishedAsync(Conversation ended, CancellationToken cancellationToken)
    {
        var call = ended.CurrentCall!;
        await statistics.RecordCallAsync(ended.Language, call, cancellationToken);
        await store.AppendAsync(ended.Id, new ConversationMessage(
            NewMessageId(), MessageDirection.Inbound, new SensitiveText(CallEvents.Ended(call)), call.EndedAt ?? time.GetUtcNow(), SystemActor),
            null, cancellationToken);
        if (call.Outcome is CallOutcome.Voicemail or CallOutcome.CallbackRequested)
        {
            await RouteForFollowUpAsync(ended, cancellationToken);
        }

        var abandoned = call.Outcome is CallOutcome.AbandonedInMenu or CallOutcome.AbandonedWhileWaiting;
        if (abandoned && ended is { Channel: Channels.Voice, Status: ConversationStatus.New or ConversationStatus.Waiting, Calls.Count: 1 })
        {
            await closer.CloseAsync(ended, null, "call abandoned", cancellationToken);
        }
    }

    /// <summary>
    /// A voicemail or a callback request nobody has taken yet is routed like a text, to a counsellor's console. Only
    /// once the call is over: routing leaves a conversation alone while its caller is on the line.
    /// </summary>
    private async Task RouteForFollowUpAsync(Conversation conversation, CancellationToken cancellationToken)
    {
        if (conversation.Status is ConversationStatus.New or ConversationStatus.Waiting)
        {
            await queue.EnqueueAsync(QueueNames.ConversationsToRoute, new RouteRequest(conversation.Id), cancellationToken);
        }
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the conversation's current call (if it is <paramref name="callSid"/>) and
    /// saves it; null when there was nothing to change (the change returned null) or the call is not this one.
    /// </summary>
    private async Task<Conversation?> UpdateCallAsync(
        string conversationId, string callSid, Func<Conversation, PhoneCall, Conversation?> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            if (await FindAsync(conversationId, callSid, cancellationToken) is not { CurrentCall: { } call } conversation
                || change(conversation, call) is not { } changed)
            {
                return null;
            }

            if (await store.TryUpdateAsync(changed, cancellationToken))
            {
                return changed;
            }
        }

        throw new ConversationChangedException(conversationId);
    }

    private static IReadOnlyList<PhoneCall> Replace(Conversation conversation, PhoneCall call) => [.. conversation.Calls.SkipLast(1), call];

    private static string NewMessageId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
}

/// <summary>What the conversation's transcript says about a call (no caller words: the call itself is not recorded).</summary>
public static class CallEvents
{
    public const string Started = "Phone call started.";

    public static string Ended(PhoneCall call) => call.Outcome switch
    {
        CallOutcome.Answered => $"Phone call ended after {Minutes(call.TalkTime)}.",
        CallOutcome.Voicemail => $"The caller left a voicemail ({call.RecordingSeconds ?? 0} s) after waiting {Minutes(call.WaitingTime)}.",
        CallOutcome.CallbackRequested => $"The caller asked to be called back after waiting {Minutes(call.WaitingTime)}.",
        CallOutcome.AbandonedInMenu => "The caller hung up in the language menu.",
        _ => $"The caller hung up after waiting {Minutes(call.WaitingTime)}.",
    };

    private static string Minutes(TimeSpan? span) => span is { } s
        ? s.TotalSeconds < 60 ? $"{(int)s.TotalSeconds} s" : $"{(int)s.TotalMinutes} min {s.Seconds} s"
        : "0 s";
}

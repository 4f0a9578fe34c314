using System.Collections.Concurrent;
using Hotline.Messaging;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Routing;

namespace Hotline.Conversations;

/// <summary>
/// Gives a conversation to a counsellor: ranks who can take it (<see cref="ConversationRouter"/>), reserves a slot
/// atomically, then records the offer. Safe to run twice for the same conversation (queue redelivery) and from two
/// instances at once. An offer not accepted within the policy's timeout goes to the next counsellor; each hop is
/// recorded on the conversation. A caller nobody has answered for <see cref="RoutingPolicy.HoldingMessageAfter"/> gets
/// one short holding message.
/// </summary>
public sealed class ConversationAssigner(
    IConversationStore store,
    IRosterStore roster,
    ICounsellorLoads loads,
    IContactStatistics statistics,
    RoutingPolicy policy,
    IWorkQueue queue,
    CallerTexts texts,
    InboundSettings inbound,
    TimeProvider time)
{
    public const string TimeoutReason = "offer-timeout";
    public const string AwayReason = "offer-withdrawn: counsellor not present";
    public const string TransferReason = "transferred to ";

    /// <summary>The author of messages the hotline itself writes to a caller.</summary>
    public const string SystemAuthor = "system";

    // The holding message's delivery request is queued before the message is stored, so a sweep that dies in between
    // leaves no message without a request; this delay keeps the request from overtaking the message it names.
    private static readonly TimeSpan HoldingSendDelay = TimeSpan.FromSeconds(5);

    // Conversations this instance saw already answered (or closed): the sweep does not read them again.
    private readonly ConcurrentDictionary<string, bool> _answered = new(StringComparer.Ordinal);

    // Slots that looked orphaned at the previous sweep. A slot is only released when it still looks orphaned a
    // sweep later, so a router between its reservation and its offer (well under a second) is never robbed.
    private HashSet<(string Counsellor, string Conversation)> _orphanSuspects = [];

    public async Task AssignAsync(string conversationId, CancellationToken cancellationToken = default)
    {
        var conversation = await store.FindAsync(conversationId, cancellationToken);
        if (conversation is not { Status: ConversationStatus.New or ConversationStatus.Waiting })
        {
            return; // gone, closed, or already offered by an earlier delivery
        }

        if (conversation.CurrentCall is { IsLive: true })
        {
            return; // the caller is on the line: the call rings counsellors' phones itself
        }

        if (conversation.Status == ConversationStatus.New)
        {
            await statistics.RecordContactAsync(conversation, cancellationToken); // counted once, at its first routing
        }

        // Who let an offer of this conversation time out, or passed it on, is asked last, not again first.
        var declined = conversation.Hops
            .Where(h => (h.Reason == TimeoutReason || h.Reason.StartsWith(TransferReason, StringComparison.Ordinal)) && h.CounsellorId is not null)
            .Select(h => h.CounsellorId!).ToHashSet(StringComparer.Ordinal);
        var counsellors = await roster.ListAsync(cancellationToken);
        // A slot this conversation already holds (an earlier attempt that stopped half-way) does not count against
        // its holder, so the holder can be offered it again. A router only ever releases slots it reserved itself:
        // releasing another's could free a slot that router is about to use.
        var held = await loads.HeldAsync(cancellationToken);
        var open = held.ToDictionary(h => h.Key, h => h.Value.Count(id => id != conversationId), StringComparer.Ordinal);
        var now = time.GetUtcNow();
        var ranked = ConversationRouter.Rank(conversation.Language, counsellors, open, policy, now, declined);
        if (ranked.Count == 0 && declined.Count > 0)
        {
            ranked = ConversationRouter.Rank(conversation.Language, counsellors, open, policy, now);
        }

        foreach (var candidate in ranked)
        {
            var reservation = await loads.TryReserveAsync(candidate.Counsellor.Id, conversation.Id, candidate.Counsellor.Capacity, cancellationToken);
            if (reservation == Reservation.Full)
            {
                continue; // filled up since the ranking was read
            }

            // The conversation may change while we hold the slot (a new message moves its last-message time):
            // re-read and retry while it still needs a counsellor.
            for (var attempt = 0; attempt < 10; attempt++)
            {
                now = time.GetUtcNow();
                var offered = conversation with
                {
                    Status = ConversationStatus.Offered,
                    AssignedTo = candidate.Counsellor.Id,
                    OfferedAt = now,
                    Hops = [.. conversation.Hops, new RoutingHop(now, candidate.Counsellor.Id, "offered (" + candidate.Tier + ")")],
                };
                if (await store.TryUpdateAsync(offered, cancellationToken))
                {
                    return;
                }

                conversation = await store.FindAsync(conversationId, cancellationToken);
                if (conversation is not { Status: ConversationStatus.New or ConversationStatus.Waiting })
                {
                    break; // routed or closed by someone else meanwhile
                }
            }

            // Give back the slot this attempt reserved, unless another attempt offered the conversation to the same
            // counsellor meanwhile: that offer took the slot over (it found it "already held") and keeps it.
            if (reservation == Reservation.Reserved && conversation?.AssignedTo != candidate.Counsellor.Id)
            {
                await loads.ReleaseAsync(candidate.Counsellor.Id, conversationId, cancellationToken);
            }

            if (conversation is not { Status: ConversationStatus.New or ConversationStatus.Waiting })
            {
                return;
            }

            throw new ConversationChangedException(conversationId);
        }

        for (var attempt = 0; attempt < 10 && conversation is { Status: ConversationStatus.New }; attempt++)
        {
            var waiting = conversation with
            {
                Status = ConversationStatus.Waiting,
                Hops = [.. conversation.Hops, new RoutingHop(time.GetUtcNow(), null, "waiting: nobody available")],
            };
            if (await store.TryUpdateAsync(waiting, cancellationToken))
            {
                break;
            }

            conversation = await store.FindAsync(conversationId, cancellationToken);
        }
    }

    /// <summary>
    /// Passes a conversation to the pool of another language (the counsellor found the caller is better served in
    /// it): the counsellor's slot is given back and the conversation routed again, to someone else where possible.
    /// With <paramref name="expectedAssignee"/>, only while it is still theirs (an offer may have moved on meanwhile).
    /// </summary>
    public async Task<(TransferOutcome Outcome, Conversation? Conversation)> TransferAsync(
        string conversationId, string language, string? by, string? expectedAssignee, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            if (await store.FindAsync(conversationId, cancellationToken) is not { IsOpen: true } conversation)
            {
                return (TransferOutcome.Closed, null);
            }

            if (expectedAssignee is not null && conversation.AssignedTo != expectedAssignee)
            {
                return (TransferOutcome.NotAssignee, conversation);
            }

            var transferred = conversation with
            {
                Language = language,
                Status = ConversationStatus.Waiting,
                AssignedTo = null,
                OfferedAt = null,
                Hops = [.. conversation.Hops, new RoutingHop(time.GetUtcNow(), by, TransferReason + language)],
            };
            if (!await store.TryUpdateAsync(transferred, cancellationToken))
            {
                continue;
            }

            if (conversation.AssignedTo is { } holder)
            {
                await loads.ReleaseAsync(holder, conversationId, cancellationToken);
            }

            try
            {
                await AssignAsync(conversationId, cancellationToken);
            }
            catch (ConversationChangedException)
            {
                // The transfer stands; a waiting conversation is routed again by the next sweep.
            }

            return (TransferOutcome.Transferred, await store.FindAsync(conversationId, cancellationToken) ?? transferred);
        }

        throw new ConversationChangedException(conversationId);
    }

    /// <summary>
    /// Takes back offers nobody accepted in time and routes them again; retries waiting and stranded new
    /// conversations. Returns how many conversations it routed again.
    /// </summary>
    public async Task<int> RerouteStaleAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var rerouted = 0;
        var open = await store.ListOpenSummariesAsync(cancellationToken);
        // An offer to a counsellor who has gone (console closed) is taken back at once, not after the timeout.
        var away = open.Any(s => s.Status == ConversationStatus.Offered) ? await AwayAsync(now, cancellationToken) : new HashSet<string>();
        // Emergencies first, then whoever has waited longest: when slots are short, the first free one goes to danger.
        var due = open.Where(s => NeedsRouting(s, now, away))
            .OrderBy(s => s.EmergencyAt is null).ThenBy(s => s.EmergencyAt).ThenBy(s => s.CreatedAt);
        foreach (var summary in due)
        {
            // The summary may lag; decide on the conversation itself.
            if (await store.FindAsync(summary.Id, cancellationToken) is not { IsOpen: true } conversation)
            {
                continue;
            }

            switch (conversation.Status)
            {
                case ConversationStatus.Offered when OfferExpired(conversation.OfferedAt, now) || away.Contains(conversation.AssignedTo!):
                    var reason = OfferExpired(conversation.OfferedAt, now) ? TimeoutReason : AwayReason;
                    var expired = conversation with
                    {
                        Status = ConversationStatus.Waiting,
                        AssignedTo = null,
                        OfferedAt = null,
                        Hops = [.. conversation.Hops, new RoutingHop(now, conversation.AssignedTo, reason)],
                    };
                    if (await store.TryUpdateAsync(expired, cancellationToken))
                    {
                        await loads.ReleaseAsync(conversation.AssignedTo!, conversation.Id, cancellationToken);
                        await AssignAsync(conversation.Id, cancellationToken);
                        rerouted++;
                    }

                    break;
                case ConversationStatus.Waiting:
                case ConversationStatus.New when Stranded(conversation.CreatedAt, now):
                    await AssignAsync(conversation.Id, cancellationToken);
                    rerouted++;
                    break;
            }
        }

        await SendHoldingMessagesAsync(open, now, cancellationToken);

        // The list read above may be a moment old; that is safe because a slot is only released when two sweeps agree.
        await ReleaseOrphanedSlotsAsync(open, cancellationToken);
        return rerouted;
    }

    /// <summary>
    /// One short holding message, in the caller's language, to every caller still waiting for a first answer after
    /// <see cref="RoutingPolicy.HoldingMessageAfter"/>, so nobody waits in silence. Once per conversation however often
    /// the sweep runs, at once or again: the message is stored only if the conversation is unchanged since it was
    /// read with no message to the caller yet, and storing it records that one went out. By SMS it takes the
    /// counsellors' reply path (<see cref="OutboundMessageDispatcher"/>: sent once, reconciled); a chat page fetches it.
    /// </summary>
    private async Task SendHoldingMessagesAsync(IReadOnlyList<OpenConversationSummary> open, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var id in _answered.Keys.Except(open.Select(s => s.Id)).ToList())
        {
            _answered.TryRemove(id, out _); // closed: forget it
        }

        var due = open.Where(s => s.Status is ConversationStatus.New or ConversationStatus.Waiting or ConversationStatus.Offered
                                  && now - s.CreatedAt >= policy.HoldingMessageAfter && !_answered.ContainsKey(s.Id));
        foreach (var summary in due)
        {
            var conversation = await store.FindAsync(summary.Id, cancellationToken);
            if (conversation is not { Status: ConversationStatus.New or ConversationStatus.Waiting or ConversationStatus.Offered }
                || conversation.LastOutboundAt is not null)
            {
                // Accepted, closed, or the caller has heard from us already (this message, or a counsellor before a transfer).
                _answered.TryAdd(summary.Id, true);
                continue;
            }

            if (!conversation.Reachable || conversation.Channel is not (Channels.Sms or Channels.Chat))
            {
                continue; // the caller sent STOP (or left): nothing may reach them
            }

            var isSms = conversation.Channel == Channels.Sms;
            var text = texts.Get(conversation.Language, CallerText.HoldingMessage,
                new Dictionary<string, string> { ["EmergencyNumber"] = inbound.EmergencyNumber });
            var message = new ConversationMessage(
                Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)),
                MessageDirection.Outbound, new SensitiveText(text), now, SystemAuthor,
                DeliveryStatus: isSms ? DeliveryStatuses.Queued : DeliveryStatuses.Sent);
            // A request whose message was never stored (this sweep lost, or died) finds nothing to send.
            var request = isSms
                ? await queue.EnqueueWithdrawableAsync(QueueNames.SmsOutbound, new OutboundRequest(conversation.Id, message.Id, message.At.UtcTicks), HoldingSendDelay, cancellationToken)
                : null;
            if (await store.AppendIfUnchangedAsync(conversation.Id, message, conversation.Version!, cancellationToken))
            {
                _answered.TryAdd(conversation.Id, true);
            }
            else if (request is not null)
            {
                await queue.WithdrawAsync(request, cancellationToken); // changed meanwhile: the next sweep decides again
            }
        }
    }

    private bool NeedsRouting(OpenConversationSummary s, DateTimeOffset now, IReadOnlySet<string> away) => s.Status switch
    {
        ConversationStatus.Offered => OfferExpired(s.OfferedAt, now) || away.Contains(s.AssignedTo ?? string.Empty),
        ConversationStatus.Waiting => true,
        ConversationStatus.New => Stranded(s.CreatedAt, now),
        _ => false,
    };

    /// <summary>Everyone on the roster who is not present now.</summary>
    private async Task<IReadOnlySet<string>> AwayAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        (await roster.ListAsync(cancellationToken)).Where(c => !c.IsPresent(now, policy.PresenceWindow)).Select(c => c.Id).ToHashSet(StringComparer.Ordinal);

    private bool OfferExpired(DateTimeOffset? offeredAt, DateTimeOffset now) => offeredAt is { } at && now - at >= policy.OfferTimeout;

    // A new conversation is routed within moments; one still new after this long lost its routing request.
    private static bool Stranded(DateTimeOffset createdAt, DateTimeOffset now) => now - createdAt > TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gives back slots held for conversations their counsellor does not have (closed, erased, or a routing attempt
    /// that died between reserving and offering), so a crash never shrinks a counsellor's capacity for good.
    /// </summary>
    public async Task<int> ReleaseOrphanedSlotsAsync(CancellationToken cancellationToken = default) =>
        await ReleaseOrphanedSlotsAsync(await store.ListOpenSummariesAsync(cancellationToken), cancellationToken);

    private async Task<int> ReleaseOrphanedSlotsAsync(IReadOnlyList<OpenConversationSummary> open, CancellationToken cancellationToken)
    {
        var holderOf = open.Where(c => c.AssignedTo is not null).ToDictionary(c => c.Id, c => c.AssignedTo!, StringComparer.Ordinal);
        var suspects = new HashSet<(string, string)>();
        foreach (var (counsellor, conversations) in await loads.HeldAsync(cancellationToken))
        {
            foreach (var id in conversations.Where(id => holderOf.GetValueOrDefault(id) != counsellor))
            {
                suspects.Add((counsellor, id));
            }
        }

        var released = 0;
        foreach (var (counsellor, id) in suspects.Where(_orphanSuspects.Contains).ToList())
        {
            // The open list is a summary that can lag; the conversation itself has the last word.
            if (await store.FindAsync(id, cancellationToken) is { IsOpen: true } conversation && conversation.AssignedTo == counsellor)
            {
                continue;
            }

            await loads.ReleaseAsync(counsellor, id, cancellationToken);
            suspects.Remove((counsellor, id));
            released++;
        }

        _orphanSuspects = suspects;
        return released;
    }
}

public enum TransferOutcome
{
    Transferred,
    Closed,
    NotAssignee,
}

public sealed class ConversationChangedException(string conversationId)
    : Exception($"Conversation {conversationId} changed while it was being routed.");

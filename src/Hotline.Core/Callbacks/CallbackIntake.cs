using System.Security.Cryptography;
using System.Text;
using Hotline.Conversations;

namespace Hotline.Callbacks;

/// <summary>What a caller asks for (or a counsellor asks for on her behalf): her number is already checked (E.164).</summary>
/// <param name="CoverStory">One of <see cref="CallbackSettings.CoverStories"/>; null for the first.</param>
public sealed record CallbackAsk(
    string PhoneNumber, IReadOnlyList<SafeWindow> Windows, bool MayLeaveMessage, string? CodeWord, string? CoverStory = null);

/// <summary>Why a callback could not be asked for.</summary>
public enum CallbackAskProblem
{
    ConversationNotFound,
    ConversationClosed,
    NoWindow,
    UnknownCoverStory,
}

public sealed record CallbackAskResult(CallbackRequest? Request, CallbackAskProblem? Problem)
{
    public bool Succeeded => Request is not null;
}

/// <summary>
/// Takes callback requests in from every channel (the caller's messages, the chat page, the phone's keypad, a
/// counsellor's console) and ties each to its conversation: a conversation has one callback request at a time, and a
/// new one replaces (cancels) the one before. A request is made once per source (a message, a call, a page's request
/// id), so a retried webhook or a resent form does not make a second one. Requests set up a question at a time start
/// as drafts (<see cref="CallbackStatus.Draft"/>), whose secrets are kept in the secret store from the first answer,
/// and are released only once confirmed.
/// </summary>
public sealed class CallbackIntake(
    IConversationStore conversations,
    ICallbackStore store,
    ICallbackSecrets secrets,
    CallbackScheduler scheduler,
    SafeWindowParser parser,
    CallbackSettings settings,
    TimeProvider time)
{
    private readonly TimeZoneInfo _zone = TimeZoneInfo.FindSystemTimeZoneById(settings.TimeZone);

    /// <summary>The zone in which callers' safe times are understood (<see cref="CallbackSettings.TimeZone"/>).</summary>
    public TimeZoneInfo TimeZone => _zone;

    public IReadOnlyList<string> CoverStories => settings.CoverStories;

    /// <summary>The request id for a request made from <paramref name="source"/>: the same source gives the same id.</summary>
    public static string RequestIdFor(string conversationId, string source) =>
        "cb-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(conversationId + "\n" + source)))[..24];

    /// <summary>Reads her words for when it is safe, in her language and the hotline's zone.</summary>
    public SafeWindowReading ReadWindows(string? text, string language) =>
        parser.Parse(text, language, _zone, time.GetUtcNow(), settings.Expiry);

    /// <summary>
    /// Every day in waking hours (<see cref="SafeWindowHours.Waking"/>) until the request would expire: what a skipped
    /// "when?" means. Her own "any time" means round the clock; silence should not wake her at 3 a.m.
    /// </summary>
    public IReadOnlyList<SafeWindow> AnyTime() =>
        ReadWindows($"{parser.Hours.Waking.Start.Hours}-{parser.Hours.Waking.End.Hours}", SafeTimeWords.FallbackLanguage).Windows;

    /// <summary>Says windows back in her language ("every day 20:00–22:00 until 7 Dec").</summary>
    public string Describe(IReadOnlyList<SafeWindow> windows, string language) =>
        parser.Describe(windows, language, _zone, time.GetUtcNow());

    /// <summary>
    /// Makes a request, waiting for its first window, on the conversation (urgent when an emergency was raised on it),
    /// and cancels the conversation's previous one. Asked again from the same source, returns the request made then.
    /// </summary>
    public async Task<CallbackAskResult> RequestAsync(
        string conversationId, string channel, string source, CallbackAsk ask, CancellationToken cancellationToken = default)
    {
        var (problem, conversation, request) = await PrepareAsync(conversationId, channel, source, ask, cancellationToken);
        if (problem is not null || request is null)
        {
            return new CallbackAskResult(request, problem);
        }

        if (await store.FindAsync(request.Id, cancellationToken) is { } made)
        {
            return new CallbackAskResult(made, null); // asked before from the same source
        }

        await scheduler.CreateAsync(request, new CallbackSecrets(ask.PhoneNumber, ask.CodeWord), cancellationToken);
        await LinkAsync(conversation!, request.Id, cancellationToken);
        return new CallbackAskResult(await store.FindAsync(request.Id, cancellationToken), null);
    }

    /// <summary>
    /// Starts a draft on the conversation for the caller to fill in question by question, beginning at
    /// <paramref name="step"/>, with her own number as the number to call until she gives another. The conversation's
    /// previous request is cancelled. Started again from the same source, returns the draft made then.
    /// </summary>
    public async Task<CallbackAskResult> StartDraftAsync(
        string conversationId, string channel, string source, string ownNumber, string step, CancellationToken cancellationToken = default)
    {
        var ask = new CallbackAsk(ownNumber, [], MayLeaveMessage: false, CodeWord: null);
        var (problem, conversation, request) = await PrepareAsync(conversationId, channel, source, ask, cancellationToken);
        if (problem is not null and not CallbackAskProblem.NoWindow || request is null)
        {
            return new CallbackAskResult(null, problem);
        }

        if (await store.FindAsync(request.Id, cancellationToken) is { } made)
        {
            return new CallbackAskResult(made, null);
        }

        var draft = request with { Status = CallbackStatus.Draft, SetupStep = step, Windows = [] };
        await scheduler.CreateAsync(draft, new CallbackSecrets(ownNumber, null), cancellationToken);
        await LinkAsync(conversation!, request.Id, cancellationToken);
        return new CallbackAskResult(await store.FindAsync(request.Id, cancellationToken), null);
    }

    /// <summary>The conversation's current request (a draft, waiting, released or closed); null when it has none.</summary>
    public async Task<CallbackRequest?> CurrentAsync(Conversation conversation, CancellationToken cancellationToken = default) =>
        conversation.CallbackRequestId is { } id ? await store.FindAsync(id, cancellationToken) : null;

    /// <summary>Saves a draft's answers (its windows, whether a message may be left, its step) if unchanged since read.</summary>
    public Task<bool> UpdateDraftAsync(CallbackRequest draft, CancellationToken cancellationToken = default) =>
        draft.Status == CallbackStatus.Draft
            ? store.TryUpdateAsync(draft, cancellationToken)
            : throw new InvalidOperationException("Only a draft is changed answer by answer.");

    /// <summary>A draft's secrets so far (the number, the code word), to change one of them.</summary>
    public Task<CallbackSecrets?> DraftSecretsAsync(CallbackRequest draft, CancellationToken cancellationToken = default) =>
        draft.Status == CallbackStatus.Draft
            ? secrets.ReadAsync(draft.Id, cancellationToken)
            : throw new InvalidOperationException("Only a draft's secrets are read back while it is set up.");

    /// <summary>Replaces a draft's secrets (a new number, a code word).</summary>
    public Task SetDraftSecretsAsync(CallbackRequest draft, CallbackSecrets draftSecrets, CancellationToken cancellationToken = default) =>
        draft.Status == CallbackStatus.Draft
            ? secrets.StoreAsync(draft.Id, draftSecrets, cancellationToken)
            : throw new InvalidOperationException("Only a draft's secrets change while it is set up.");

    /// <summary>
    /// The caller confirmed her draft: it waits for its first window from now on, and expires
    /// <see cref="CallbackSettings.Expiry"/> from now. A draft without windows is confirmed for any time. False when
    /// it changed meanwhile (read it again).
    /// </summary>
    public Task<bool> ConfirmAsync(CallbackRequest draft, CancellationToken cancellationToken = default)
    {
        if (draft.Status != CallbackStatus.Draft)
        {
            throw new InvalidOperationException("Only a draft is confirmed.");
        }

        var now = time.GetUtcNow();
        return store.TryUpdateAsync(draft with
        {
            Status = CallbackStatus.Waiting,
            SetupStep = null,
            RequestedAt = now,
            ExpiresAt = now + settings.Expiry,
            Windows = draft.Windows.Count > 0 ? draft.Windows : AnyTime(),
        }, cancellationToken);
    }

    /// <summary>Cancels a request (a draft or an open one) and destroys its secrets; false when it is missing or closed.</summary>
    public Task<bool> CancelAsync(string requestId, CancellationToken cancellationToken = default) =>
        scheduler.CancelAsync(requestId, cancellationToken);

    /// <summary>The caller asked for her data to be erased: the open requests of these conversations are cancelled.</summary>
    public async Task CancelForConversationsAsync(IEnumerable<string> conversationIds, CancellationToken cancellationToken = default)
    {
        var ids = conversationIds.ToHashSet(StringComparer.Ordinal);
        foreach (var open in await store.ListOpenAsync(cancellationToken: cancellationToken))
        {
            if (ids.Contains(open.ConversationId))
            {
                await scheduler.CancelAsync(open.Id, cancellationToken);
            }
        }
    }

    private async Task<(CallbackAskProblem?, Conversation?, CallbackRequest?)> PrepareAsync(
        string conversationId, string channel, string source, CallbackAsk ask, CancellationToken cancellationToken)
    {
        var conversation = await conversations.FindAsync(conversationId, cancellationToken);
        if (conversation is null)
        {
            return (CallbackAskProblem.ConversationNotFound, null, null);
        }

        if (!conversation.IsOpen)
        {
            return (CallbackAskProblem.ConversationClosed, conversation, null);
        }

        if (ask.CoverStory is { } story && !settings.CoverStories.Contains(story, StringComparer.Ordinal))
        {
            return (CallbackAskProblem.UnknownCoverStory, conversation, null);
        }

        var now = time.GetUtcNow();
        var request = new CallbackRequest(RequestIdFor(conversationId, source), conversation.Id, conversation.Language, now, now + settings.Expiry)
        {
            Channel = channel,
            TimeZone = settings.TimeZone,
            Windows = SafeWindowParser.Merge(ask.Windows.Where(w => w.End > now)),
            MayLeaveMessage = ask.MayLeaveMessage,
            CoverStory = ask.CoverStory ?? settings.CoverStories[0],
            Urgent = conversation.EscalationId is not null,
        };
        return (request.Windows.Count == 0 ? CallbackAskProblem.NoWindow : null, conversation, request);
    }

    /// <summary>Points the conversation at its new request, then cancels the request it replaces.</summary>
    private async Task LinkAsync(Conversation conversation, string requestId, CancellationToken cancellationToken)
    {
        var asked = time.GetUtcNow();
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var previous = conversation.CallbackRequestId;
            var linked = conversation with { CallbackRequestId = requestId, CallbackRequestedAt = conversation.CallbackRequestedAt ?? asked };
            if (previous == requestId || await conversations.TryUpdateAsync(linked, cancellationToken))
            {
                if (previous is not null && previous != requestId)
                {
                    await scheduler.CancelAsync(previous, cancellationToken);
                }

                return;
            }

            conversation = await conversations.FindAsync(conversation.Id, cancellationToken) ?? throw new ConversationChangedException(conversation.Id);
        }

        throw new ConversationChangedException(conversation.Id);
    }
}

namespace Hotline.Conversations;

/// <summary>Where conversations, their messages and the caller index live.</summary>
public interface IConversationStore
{
    Task<Conversation?> FindAsync(string conversationId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ConversationMessage>> MessagesAsync(string conversationId, CancellationToken cancellationToken = default);

    /// <summary>Open conversations, optionally only those assigned to <paramref name="counsellorId"/>.</summary>
    Task<IReadOnlyList<Conversation>> ListOpenAsync(string? counsellorId = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// What the routing sweeps need of every open conversation, in one cheap read (no messages, no last-message
    /// time). It may lag a routing change by a moment; act only on a conversation read again with <see cref="FindAsync"/>.
    /// </summary>
    Task<IReadOnlyList<OpenConversationSummary>> ListOpenSummariesAsync(CancellationToken cancellationToken = default);

    /// <summary>The caller's record with any block on them, in one read.</summary>
    /// <summary>Stores the intake record with the conversation (encrypted; erased with it).</summary>
    Task SaveIntakeAsync(string conversationId, Intake intake, CancellationToken cancellationToken = default);

    Task<Intake?> FindIntakeAsync(string conversationId, CancellationToken cancellationToken = default);

    Task<CallerRecord?> FindCallerAsync(string pseudonym, CancellationToken cancellationToken = default);

    Task BlockCallerAsync(CallerBlock block, CancellationToken cancellationToken = default);

    /// <summary>Lifts a block. False when there was none.</summary>
    Task<bool> UnblockCallerAsync(string pseudonym, CancellationToken cancellationToken = default);

    /// <summary>Every block, lapsed ones included (they are kept as the record of the decision until lifted).</summary>
    Task<IReadOnlyList<CallerBlock>> ListBlocksAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Links a caller to an open conversation. Returns the conversation id that is linked afterwards: the given one,
    /// or the one another request linked first (two first messages racing end up in one conversation).
    /// <paramref name="current"/> is the caller record as just read (null: there was none), which saves reading it again.
    /// </summary>
    Task<string> LinkCallerAsync(
        string pseudonym, string conversationId, string language, CallerRecord? current, CancellationToken cancellationToken = default);

    Task UnlinkCallerAsync(string pseudonym, string conversationId, CancellationToken cancellationToken = default);

    /// <summary>Creates the conversation with its first message. False when it exists already.</summary>
    Task<bool> CreateAsync(Conversation conversation, ConversationMessage first, string? providerMessageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends a message and moves <see cref="Conversation.LastMessageAt"/>, atomically. With a provider message id,
    /// a second delivery of the same message is detected and false returned; nothing is stored twice.
    /// </summary>
    Task<bool> AppendAsync(string conversationId, ConversationMessage message, string? providerMessageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends a message only if the conversation is still at <paramref name="expectedVersion"/> (nobody closed,
    /// transferred or otherwise changed it since it was read); false otherwise, and nothing is stored.
    /// </summary>
    Task<bool> AppendIfUnchangedAsync(string conversationId, ConversationMessage message, string expectedVersion, CancellationToken cancellationToken = default);

    Task<ConversationMessage?> FindMessageAsync(string conversationId, string messageId, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Records where a message's delivery stands (queued, sending, sent, unreachable, failed) and when.</summary>
    Task UpdateDeliveryAsync(string conversationId, ConversationMessage message, string status, string? providerMessageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Erases a caller's data for good, at their request: every conversation they started (messages, intake, markers,
    /// summary), open or closed, and their caller record. A block on them stays.
    /// </summary>
    Task EraseCallerAsync(CallerRecord caller, CancellationToken cancellationToken = default);

    /// <summary>Closed conversations whose reply address is due to be deleted at or before <paramref name="now"/>.</summary>
    Task<IReadOnlyList<string>> DueForReplyAddressPurgeAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Deletes the encrypted reply address of a closed conversation (and its purge reminder).</summary>
    Task PurgeReplyAddressAsync(string conversationId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether an inbound message was taken in already: its marker (a hash of the caller's pseudonym and the
    /// provider's message id, nothing personal) was recorded by <see cref="RememberProcessedAsync"/>. Unlike the
    /// conversation's own marker, this record outlives an erasure and a close.
    /// </summary>
    Task<bool> WasProcessedAsync(string marker, CancellationToken cancellationToken = default);

    /// <summary>Records that the inbound message with this marker was taken in, at <paramref name="at"/>.</summary>
    Task RememberProcessedAsync(string marker, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Forgets the processed-message markers recorded before <paramref name="before"/>.</summary>
    Task ForgetProcessedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken = default);

    /// <summary>Saves a changed conversation if nobody changed it since it was read; false on a conflict.</summary>
    Task<bool> TryUpdateAsync(Conversation conversation, CancellationToken cancellationToken = default);
}

using Hotline.Privacy;

namespace Hotline.Conversations;

public static class Channels
{
    public const string Sms = "sms";
    public const string Chat = "chat";
    public const string Voice = "voice";
}

public enum ConversationStatus
{
    /// <summary>Created; not yet routed.</summary>
    New,

    /// <summary>Nobody could take it yet; routed again when someone can.</summary>
    Waiting,

    /// <summary>Offered to a counsellor who has not accepted yet.</summary>
    Offered,

    /// <summary>A counsellor accepted it.</summary>
    Active,

    Closed,
}

/// <summary>One step of routing: who was offered the conversation, when, and why.</summary>
public sealed record RoutingHop(DateTimeOffset At, string? CounsellorId, string Reason);

/// <summary>
/// A conversation with one caller on one channel. The caller is known only by a pseudonym; the reply address
/// (their number, for SMS) is held encrypted and only while the conversation is open.
/// </summary>
public sealed record Conversation
{
    public required string Id { get; init; }

    public required string Channel { get; init; }

    public required string Language { get; init; }

    public required string CallerPseudonym { get; init; }

    /// <summary>How many conversations this caller has started, this one included (1: first contact).</summary>
    public int CallerContacts { get; init; } = 1;

    public ConversationStatus Status { get; init; } = ConversationStatus.New;

    public string? AssignedTo { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset LastMessageAt { get; init; }

    /// <summary>The caller's latest message, and the latest reply: the caller waits while the first is later.</summary>
    public DateTimeOffset? LastInboundAt { get; init; }

    public DateTimeOffset? LastOutboundAt { get; init; }

    /// <summary>
    /// Since when the caller has been waiting for a person: for a conversation nobody accepted yet, since it began;
    /// once accepted, since their latest message if it has had no reply. Null when they are not waiting.
    /// </summary>
    public DateTimeOffset? WaitingSince => Status switch
    {
        ConversationStatus.New or ConversationStatus.Waiting or ConversationStatus.Offered => CreatedAt,
        ConversationStatus.Active when LastInboundAt is { } inbound && (LastOutboundAt is null || LastOutboundAt < inbound) => inbound,
        _ => null,
    };

    public DateTimeOffset? OfferedAt { get; init; }

    /// <summary>The hotline number (or entry point) the caller used; decides the language when it is mapped.</summary>
    public string? HotlineNumber { get; init; }

    /// <summary>False after the caller sent STOP (or the provider refused): replies cannot reach them.</summary>
    public bool Reachable { get; init; } = true;

    /// <summary>The caller's reply address, encrypted (see <see cref="ReplyAddressProtector"/>).</summary>
    public string? ProtectedReplyAddress { get; init; }

    public IReadOnlyList<RoutingHop> Hops { get; init; } = [];

    /// <summary>When an emergency was raised on it (it then comes first in every list), and the escalation's id.</summary>
    public DateTimeOffset? EmergencyAt { get; init; }

    public string? EscalationId { get; init; }

    /// <summary>When the caller asked to be contacted later (the CALLBACK keyword); counsellors see it.</summary>
    public DateTimeOffset? CallbackRequestedAt { get; init; }

    /// <summary>The caller's latest callback request (a draft while she sets it up); a new one replaces it.</summary>
    public string? CallbackRequestId { get; init; }

    /// <summary>When it was closed; its reply address is deleted a grace period later.</summary>
    public DateTimeOffset? ClosedAt { get; init; }

    /// <summary>Its phone calls, oldest first: a repeat caller's call joins their open conversation.</summary>
    public IReadOnlyList<Hotline.Calls.PhoneCall> Calls { get; init; } = [];

    /// <summary>The latest phone call, live or not; null when the caller never phoned in this conversation.</summary>
    public Hotline.Calls.PhoneCall? CurrentCall => Calls.Count == 0 ? null : Calls[^1];

    /// <summary>Storage concurrency token; updates made with it fail if someone else changed the conversation.</summary>
    public string? Version { get; init; }

    public bool IsOpen => Status != ConversationStatus.Closed;
}

public enum MessageDirection
{
    Inbound,
    Outbound,
}

public sealed record ConversationMessage(
    string Id,
    MessageDirection Direction,
    SensitiveText Text,
    DateTimeOffset At,
    string? Author = null,
    string? DeliveryStatus = null)
{
    /// <summary>When the delivery status last changed (used to reconcile an interrupted send).</summary>
    public DateTimeOffset? DeliveryUpdatedAt { get; init; }

    public string? ProviderMessageId { get; init; }
}

public static class DeliveryStatuses
{
    public const string Queued = "queued";
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Unreachable = "unreachable";
    public const string Failed = "failed";
}

/// <summary>An open conversation as the routing sweeps see it.</summary>
public sealed record OpenConversationSummary(
    string Id, ConversationStatus Status, string? AssignedTo, DateTimeOffset CreatedAt, DateTimeOffset? OfferedAt, string Language = "")
{
    public DateTimeOffset? EmergencyAt { get; init; }

    /// <summary>Since when a caller on the phone has been waiting for a person; null when no call is waiting.</summary>
    public DateTimeOffset? CallWaitingSince { get; init; }
}

/// <summary>
/// What the hotline remembers about a caller, by pseudonym: the open conversation, how often they made contact, and
/// whether a supervisor blocked them. <see cref="Version"/> is null when only a block is known (their record was erased).
/// </summary>
public sealed record CallerRecord(
    string Pseudonym, string? OpenConversationId, int Contacts, string? Language, string? Version, CallerBlock? Block = null)
{
    /// <summary>The conversation most recently closed, so a chat page can still show the counsellor's last words.</summary>
    public string? LastConversationId { get; init; }

    /// <summary>Every conversation this caller started (the most recent ones), so an erasure request reaches them all.</summary>
    public IReadOnlyList<string> ConversationIds { get; init; } = [];

    public bool IsBlockedAt(DateTimeOffset now) => Block is { } b && b.Until > now;
}

/// <summary>
/// A supervisor's decision that a caller's messages are dropped until <see cref="Until"/>: for abuse of the line.
/// Always time-limited, because a person who abused it once may need it in earnest later. It survives the caller's
/// erasure request, which would otherwise lift it.
/// </summary>
public sealed record CallerBlock(string Pseudonym, string Reason, string BlockedBy, DateTimeOffset BlockedAt, DateTimeOffset Until)
{
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(365);
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromDays(30);
}

public static class ConversationIds
{
    public static string New() => "c-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(10));

    public static bool IsValid(string id) =>
        id.Length == 22 && id.StartsWith("c-", StringComparison.Ordinal) && id[2..].All(char.IsAsciiHexDigitLower);
}

/// <summary>How long data outlives a closed conversation.</summary>
/// <param name="ReplyAddressGrace">The encrypted reply address is deleted this long after the conversation closes.</param>
public sealed record ConversationRetention(TimeSpan ReplyAddressGrace)
{
    public static ConversationRetention Default { get; } = new(TimeSpan.FromHours(24));

    /// <summary>
    /// How long an inbound message's marker is kept, whatever happened to its conversation since (closed, erased), so
    /// a redelivered or replayed webhook is recognised: well beyond the time Twilio may retry a webhook.
    /// </summary>
    public static readonly TimeSpan ProcessedMessageMemory = TimeSpan.FromDays(7);
}

using System.Text.Json.Serialization;

namespace Hotline.Callbacks;

/// <summary>A stretch of time the caller said it is safe to call her, as absolute instants (worked out in her time zone).</summary>
public sealed record SafeWindow(DateTimeOffset Start, DateTimeOffset End)
{
    public bool Contains(DateTimeOffset at) => at >= Start && at < End;
}

/// <summary>
/// What a callback request keeps outside its table row: the number to call and the code word the caller will be
/// asked for. Kept in the secret store under the request's own name, and destroyed (deleted and purged) when the
/// request ends, so that neither can be recovered, even from a copy of the table.
/// </summary>
public sealed record CallbackSecrets(string PhoneNumber, string? CodeWord);

/// <summary>The secrets of callback requests, one secret per request.</summary>
public interface ICallbackSecrets
{
    Task StoreAsync(string requestId, CallbackSecrets secrets, CancellationToken cancellationToken = default);

    /// <summary>The request's secrets; null once destroyed (or never stored).</summary>
    Task<CallbackSecrets?> ReadAsync(string requestId, CancellationToken cancellationToken = default);

    /// <summary>Deletes the request's secrets beyond recovery (deleted, then purged); destroying twice is harmless.</summary>
    Task DestroyAsync(string requestId, CancellationToken cancellationToken = default);
}

[JsonConverter(typeof(JsonStringEnumConverter<CallbackStatus>))]
public enum CallbackStatus
{
    /// <summary>Waiting for its next safe window.</summary>
    Waiting,

    /// <summary>Released to a counsellor, who is to call now.</summary>
    Released,

    /// <summary>Over: the caller was reached, the attempts ran out, it expired or was cancelled. Its secrets are destroyed.</summary>
    Closed,

    /// <summary>
    /// Being set up by the caller, one question at a time (by message): never released. Unconfirmed past its expiry
    /// (<see cref="CallbackSettings.SetupLifetime"/>), it closes and its secrets are destroyed.
    /// </summary>
    Draft,
}

[JsonConverter(typeof(JsonStringEnumConverter<CallbackOutcome>))]
public enum CallbackOutcome
{
    /// <summary>The caller answered and gave the code word.</summary>
    Reached,

    /// <summary>Someone else answered: the cover story was used.</summary>
    ReachedNotSafe,

    NoAnswer,
    WrongNumber,
    MessageLeft,
}

/// <summary>Why a callback request closed.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CallbackClosure>))]
public enum CallbackClosure
{
    Reached,
    AttemptsExhausted,
    Expired,
    Cancelled,

    /// <summary>The number reached someone who does not know the caller: calling it again cannot reach her.</summary>
    WrongNumber,
}

/// <summary>One try at calling the caller back.</summary>
public sealed record CallbackAttempt(DateTimeOffset At, string CounsellorId)
{
    public CallbackOutcome? Outcome { get; init; }
}

/// <summary>
/// A caller's request to be called back, without its secrets (<see cref="CallbackSecrets"/>): when it is safe, in
/// which language, whether a message may be left, the cover story for whoever else answers, how urgent it is, when it
/// expires, and what became of each attempt.
/// </summary>
public sealed record CallbackRequest(string Id, string ConversationId, string Language, DateTimeOffset RequestedAt, DateTimeOffset ExpiresAt)
{
    /// <summary>Where it was asked for: sms, chat, voice, or console (a counsellor, during a conversation).</summary>
    public string Channel { get; init; } = "";

    /// <summary>The caller's IANA time zone, in which her windows were understood and are shown.</summary>
    public string TimeZone { get; init; } = "UTC";

    /// <summary>When it is safe to call, earliest first; never called outside them.</summary>
    public IReadOnlyList<SafeWindow> Windows { get; init; } = [];

    public bool MayLeaveMessage { get; init; }

    /// <summary>What the counsellor says if someone else answers, from the configured list.</summary>
    public string CoverStory { get; init; } = "";

    /// <summary>Released first when several are due; an emergency's callback is urgent.</summary>
    public bool Urgent { get; init; }

    public CallbackStatus Status { get; init; } = CallbackStatus.Waiting;

    /// <summary>While a draft: the question the caller is answering (the channel's own name for it).</summary>
    public string? SetupStep { get; init; }

    public string? ReleasedTo { get; init; }

    public DateTimeOffset? ReleasedAt { get; init; }

    public IReadOnlyList<CallbackAttempt> Attempts { get; init; } = [];

    /// <summary>Not before this time may the next attempt be released (the spacing between attempts).</summary>
    public DateTimeOffset? NextAttemptAfter { get; init; }

    public CallbackClosure? ClosedAs { get; init; }

    public DateTimeOffset? ClosedAt { get; init; }

    /// <summary>The stored version this was read at (the row's ETag); an update succeeds only while it is current.</summary>
    [JsonIgnore]
    public string? Version { get; init; }
}

using System.Text.Json.Serialization;

namespace Hotline.Calls;

/// <summary>Where a phone call stands, as the hotline's answers to Twilio move it along.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CallPhase>))]
public enum CallPhase
{
    /// <summary>Hearing the language menu.</summary>
    Menu,

    /// <summary>Hearing the safety line (free, confidential, press 9 if in danger).</summary>
    Safety,

    /// <summary>Counsellors' phones are ringing; the caller waits.</summary>
    Ringing,

    /// <summary>A counsellor accepted and is talking with the caller.</summary>
    Connected,

    /// <summary>Nobody answered: hearing the offer (voicemail, callback, call again).</summary>
    Offer,

    /// <summary>Leaving a voicemail.</summary>
    Voicemail,

    Ended,
}

/// <summary>How a call ended, for the counsellor who follows it up and for the board.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CallOutcome>))]
public enum CallOutcome
{
    Answered,
    Voicemail,
    CallbackRequested,
    AbandonedWhileWaiting,
    AbandonedInMenu,
}

/// <summary>A counsellor's phone rung for a caller: the provider's id of that call, to stop it ringing.</summary>
public sealed record CounsellorRing(string CounsellorId, string Sid);

/// <summary>
/// One phone call of a conversation. Nothing here identifies the caller: the call's id is Twilio's, and the caller's
/// number never reaches this record. Recording is off; only a voicemail the caller chose to leave is referenced here,
/// by its id at Twilio, until a counsellor has handled it.
/// </summary>
public sealed record PhoneCall(string CallSid, DateTimeOffset StartedAt)
{
    /// <summary>The hotline number the caller dialled: counsellors' phones rung for the call show it.</summary>
    public string? Line { get; init; }

    public CallPhase Phase { get; init; } = CallPhase.Menu;

    /// <summary>When the caller began waiting for a person (their language known, the safety line heard).</summary>
    public DateTimeOffset? WaitingSince { get; init; }

    /// <summary>How many rounds of ringing were made (one tier of counsellors per round).</summary>
    public int Rounds { get; init; }

    /// <summary>Counsellors rung for this call so far, in every round.</summary>
    public IReadOnlyList<string> Rung { get; init; } = [];

    /// <summary>The calls made to counsellors' phones for this call, by their id at the provider: stopped once the call
    /// is taken, offered a message or over, so no phone goes on ringing for a caller who is gone.</summary>
    public IReadOnlyList<CounsellorRing> Rings { get; init; } = [];

    /// <summary>How long into the caller's wait (the provider's count of seconds in the queue) the current round ends.</summary>
    public int RoundEndsAtQueueSeconds { get; init; }

    public string? AnsweredBy { get; init; }

    public DateTimeOffset? AnsweredAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public CallOutcome? Outcome { get; init; }

    /// <summary>The voicemail's id at Twilio, from which the app fetches it for a counsellor and where it deletes it.</summary>
    public string? RecordingSid { get; init; }

    public int? RecordingSeconds { get; init; }

    public DateTimeOffset? RecordingHandledAt { get; init; }

    [JsonIgnore]
    public bool IsLive => Phase != CallPhase.Ended;

    /// <summary>How long the caller waited for a person: until answered, or until they gave up or were offered a message.</summary>
    [JsonIgnore]
    public TimeSpan? WaitingTime => WaitingSince is { } since && (AnsweredAt ?? OfferedAt ?? EndedAt) is { } until ? until - since : null;

    /// <summary>When the caller was offered a voicemail or a callback because nobody answered.</summary>
    public DateTimeOffset? OfferedAt { get; init; }

    /// <summary>How long the caller and the counsellor talked.</summary>
    [JsonIgnore]
    public TimeSpan? TalkTime => AnsweredAt is { } answered && EndedAt is { } ended ? ended - answered : null;
}

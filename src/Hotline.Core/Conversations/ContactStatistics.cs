namespace Hotline.Conversations;

/// <summary>One contact as the statistics see it: no caller, no content; only channel, language and times.</summary>
public sealed record ContactRecord(string ConversationId, string Channel, string Language, DateTimeOffset CreatedAt, DateTimeOffset? AcceptedAt);

/// <summary>One phone call as the statistics see it: its language, outcome and times; nothing about the caller.</summary>
public sealed record CallStatistic(string Language, DateTimeOffset StartedAt, Hotline.Calls.CallOutcome Outcome, TimeSpan? Waited, TimeSpan? Talked);

/// <summary>Anonymous contact figures for the supervisor board (contacts per day, waits to acceptance).</summary>
public interface IContactStatistics
{
    /// <summary>Counts a new conversation; recording it again changes nothing.</summary>
    Task RecordContactAsync(Conversation conversation, CancellationToken cancellationToken = default);

    /// <summary>Records when a counsellor first accepted the conversation.</summary>
    Task RecordAcceptedAsync(Conversation conversation, DateTimeOffset acceptedAt, CancellationToken cancellationToken = default);

    /// <summary>Records how a phone call went (once it is over); recording it again changes nothing.</summary>
    Task RecordCallAsync(string language, Hotline.Calls.PhoneCall call, CancellationToken cancellationToken = default);

    /// <summary>Phone calls that began between <paramref name="from"/> and <paramref name="to"/>.</summary>
    Task<IReadOnlyList<CallStatistic>> ListCallsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    /// <summary>Contacts that began between <paramref name="from"/> and <paramref name="to"/>.</summary>
    Task<IReadOnlyList<ContactRecord>> ListAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);
}

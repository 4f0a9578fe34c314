namespace Hotline.Messaging;

/// <summary>The outcome of handing one SMS to the provider.</summary>
public abstract record SmsSendResult
{
    public sealed record Sent(string ProviderMessageId) : SmsSendResult;

    /// <summary>The recipient opted out (replied STOP): nothing more can be sent until they opt in again.</summary>
    public sealed record Unreachable(string Reason) : SmsSendResult;

    /// <summary>Refused for good (bad number, account problem); retrying will not help.</summary>
    public sealed record Rejected(string Reason) : SmsSendResult;
}

/// <summary>Sends SMS through the provider.</summary>
public interface ISmsSender
{
    /// <exception cref="SmsProviderUnavailableException">The provider is down or throttling; try again later.</exception>
    Task<SmsSendResult> SendAsync(string to, string from, string body, CancellationToken cancellationToken = default);

    /// <summary>
    /// Finds a message already sent with this recipient, sender and body since <paramref name="since"/>: how an
    /// attempt that died before recording its result is reconciled without sending twice.
    /// </summary>
    Task<string?> FindSentAsync(string to, string from, string body, DateTimeOffset since, CancellationToken cancellationToken = default);
}

public sealed class SmsProviderUnavailableException(string message) : Exception(message);

/// <summary>Asks SendSms to deliver one stored outbound message.</summary>
public sealed record OutboundRequest(string ConversationId, string MessageId, long AtTicks);

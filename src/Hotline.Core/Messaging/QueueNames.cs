namespace Hotline.Messaging;

/// <summary>
/// Every Storage queue the hotline writes to or reads from. A queue-triggered function's binding may only name a
/// queue listed here, and every queue listed here must have a function that reads it (tests enforce both), so no
/// message is written where nobody listens.
/// </summary>
public static class QueueNames
{
    /// <summary>Conversations waiting for a counsellor (read by RouteConversation).</summary>
    public const string ConversationsToRoute = "conversations-to-route";

    /// <summary>Counsellor replies to deliver by SMS (read by SendSms).</summary>
    public const string SmsOutbound = "sms-outbound";

    /// <summary>Alerts to the supervisor on duty (read by SendSupervisorAlert).</summary>
    public const string SupervisorAlerts = "supervisor-alerts";

    /// <summary>Referrals to deliver to partner agencies (read by SendReferral).</summary>
    public const string ReferralsToSend = "referrals-to-send";

    public static IReadOnlyList<string> All { get; } = [ConversationsToRoute, SmsOutbound, SupervisorAlerts, ReferralsToSend];

    /// <summary>The queue where the Functions host moves a message that failed <c>maxDequeueCount</c> times.</summary>
    public static string PoisonQueueFor(string queueName) => queueName + "-poison";
}

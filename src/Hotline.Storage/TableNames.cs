namespace Hotline.Storage;

/// <summary>Every table the hotline uses; created at startup if missing.</summary>
public static class TableNames
{
    public const string Roster = "Roster";
    public const string CounsellorLoads = "CounsellorLoads";
    public const string Conversations = "Conversations";
    public const string OpenConversations = "OpenConversations";
    public const string Callers = "Callers";
    public const string Contacts = "Contacts";
    public const string EscalationLog = "EscalationLog";
    public const string Escalations = "Escalations";
    public const string Partners = "Partners";
    public const string Referrals = "Referrals";

    /// <summary>Messages already handled (a keyed hash and a time), kept apart so they never slow the open list.</summary>
    public const string ProcessedMessages = "ProcessedMessages";

    /// <summary>Callback requests (never their number or code word) and their index by when they are next due.</summary>
    public const string Callbacks = "Callbacks";

    public static IReadOnlyList<string> All { get; } =
        [Roster, CounsellorLoads, Conversations, OpenConversations, Callers, Contacts, EscalationLog, Escalations, Partners, Referrals, ProcessedMessages,
         Callbacks];
}

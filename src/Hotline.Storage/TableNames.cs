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

    public static IReadOnlyList<string> All { get; } =
        [Roster, CounsellorLoads, Conversations, OpenConversations, Callers, Contacts, EscalationLog, Escalations, Partners, Referrals];
}

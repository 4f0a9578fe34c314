namespace Hotline.Storage;

/// <summary>Every table the hotline uses; created at startup if missing.</summary>
public static class TableNames
{
    public const string Roster = "Roster";
    public const string CounsellorLoads = "CounsellorLoads";

    public static IReadOnlyList<string> All { get; } = [Roster, CounsellorLoads];
}

namespace Hotline.Escalations;

/// <summary>A duration as people say it: "1 minute", "15 minutes", "1 hour 30 minutes", never "00:15:00".</summary>
public static class DurationWords
{
    public static string Of(TimeSpan duration)
    {
        var parts = new List<string>();
        void Add(int count, string unit)
        {
            if (count > 0)
            {
                parts.Add(count == 1 ? $"1 {unit}" : $"{count} {unit}s");
            }
        }

        var whole = TimeSpan.FromSeconds(Math.Round(Math.Abs(duration.TotalSeconds)));
        Add(whole.Days, "day");
        Add(whole.Hours, "hour");
        Add(whole.Minutes, "minute");
        Add(whole.Seconds, "second");
        return parts.Count == 0 ? "0 seconds" : string.Join(' ', parts);
    }
}

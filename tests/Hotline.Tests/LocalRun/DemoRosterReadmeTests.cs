using System.Text.RegularExpressions;
using Hotline.Functions.Demo;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.LocalRun;

/// <summary>The README's demo roster is the one <c>./hotline up</c> seeds: ids, roles, on-call states and phones.</summary>
public sealed partial class DemoRosterReadmeTests
{
    [Fact]
    public void The_readme_lists_the_seeded_demo_roster()
    {
        var readme = File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "README.md"));
        var rows = RosterRow().Matches(readme)
            .ToDictionary(m => m.Groups["id"].Value, m => (
                Role: m.Groups["role"].Value,
                OnCall: m.Groups["onCall"].Value == "yes",
                Phone: m.Groups["phone"].Value,
                TakesCalls: m.Groups["takesCalls"].Value == "yes"));

        Assert.Equal(DemoRoster.Counsellors.Select(c => c.Id).Order(), rows.Keys.Order());
        foreach (var counsellor in DemoRoster.Counsellors)
        {
            Assert.Equal(counsellor.OnCall, rows[counsellor.Id].OnCall);
            Assert.Equal(counsellor.SupervisorOnDuty ? "supervisor on duty" : "counsellor", rows[counsellor.Id].Role);
            Assert.Equal(counsellor.Phone?.Reveal(), Hotline.Privacy.StaffPhoneNumber.Parse(rows[counsellor.Id].Phone).Reveal());
            Assert.StartsWith("+447700900", counsellor.Phone!.Reveal(), StringComparison.Ordinal); // fictional: rings nobody
            Assert.Equal(counsellor.TakesCallsOnPhone, rows[counsellor.Id].TakesCalls);
        }
    }

    [GeneratedRegex(
        @"^\| `(?<id>[a-z]+)` \| (?<role>[a-z ]+) \| [^|]+ \| (?<onCall>yes|no) \| (?<phone>\+[0-9 ]+) \| (?<takesCalls>yes|no) \|$",
        RegexOptions.Multiline)]
    private static partial Regex RosterRow();
}

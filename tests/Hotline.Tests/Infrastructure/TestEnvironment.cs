namespace Hotline.Tests.Infrastructure;

/// <summary>Where the repository is and how to reach the Azurite that <c>./hotline test</c> started.</summary>
public static class TestEnvironment
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The Azurite connection string. Tests that need storage fail clearly without it.</summary>
    public static string StorageConnectionString =>
        Environment.GetEnvironmentVariable("HOTLINE_TEST_STORAGE") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "HOTLINE_TEST_STORAGE is not set: run the tests with ./hotline test, which starts Azurite.");

    public static string FunctionApp(string name) => Path.Combine(AppContext.BaseDirectory, "FunctionApps", name);

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 63)];

    private static string FindRepoRoot()
    {
        if (Environment.GetEnvironmentVariable("HOTLINE_REPO_ROOT") is { Length: > 0 } configured)
        {
            return configured;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HotlineFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (HotlineFunctions.sln).");
    }
}

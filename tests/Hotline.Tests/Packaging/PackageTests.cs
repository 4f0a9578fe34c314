using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Hotline.Tests.Infrastructure;
using LocalFunctionsHost;

namespace Hotline.Tests.Packaging;

/// <summary>
/// <c>./hotline package</c> is the <c>dotnet publish</c> output laid out as Azure runs it, with the zip Flex
/// Consumption deploys, and the packaged worker starts under a Functions host the way the real host starts it.
/// </summary>
public sealed class PackageTests : IClassFixture<PackageTests.PackageFixture>
{
    private readonly PackageFixture _package;

    public PackageTests(PackageFixture package) => _package = package;

    [Fact]
    public void The_package_is_an_isolated_worker_app_as_Azure_runs_it_and_its_zip_holds_the_same_files()
    {
        var root = _package.Output;
        Assert.Equal(File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "host.json")), File.ReadAllText(Path.Combine(root, "host.json")));

        var worker = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "worker.config.json")))!["description"]!;
        Assert.Equal("dotnet", (string?)worker["defaultExecutablePath"]);
        Assert.Equal("Hotline.Functions.dll", (string?)worker["defaultWorkerPath"]);
        Assert.True(File.Exists(Path.Combine(root, "Hotline.Functions.dll")));
        Assert.True(File.Exists(Path.Combine(root, "extensions.json")));
        Assert.True(Directory.Exists(Path.Combine(root, ".azurefunctions")));

        // Every [Function] method, and only those, with the trigger its attribute declares; no hand-written function.json.
        var metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "functions.metadata")))!.AsArray();
        Assert.Equal(
            Hotline.Functions.Hosting.FunctionMethods.All.Keys.Order().ToList(),
            metadata.Select(f => (string)f!["name"]!).Order().ToList());
        Assert.Empty(Directory.GetFiles(root, "function.json", SearchOption.AllDirectories));
        Assert.True(File.Exists(Path.Combine(root, "Texts", "en.json")), "the caller texts ship next to the worker");
        Assert.True(File.Exists(Path.Combine(root, "Pages", "wwwroot", "chat", "index.html")), "the pages ship with it");
        Assert.False(Directory.Exists(Path.Combine(root, "Dev")), "the local SMS simulator's page is not shipped");

        using var zip = System.IO.Compression.ZipFile.OpenRead(_package.Output + ".zip");
        var entries = zip.Entries.Where(e => !e.FullName.EndsWith('/')).Select(e => e.FullName).Order().ToList();
        var files = Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order().ToList();
        Assert.Equal(files, entries);
        Assert.Contains("host.json", entries); // at the zip's root, as one-deploy expects
    }

    [Fact]
    public async Task The_packaged_worker_starts_under_the_local_Functions_host_and_answers_health_200()
    {
        await using var host = await FunctionsHost.StartAsync(new FunctionsHostOptions
        {
            ScriptRoot = _package.Output,
            Port = 0,
            Launcher = new ProcessWorkerLauncher(), // dotnet Hotline.Functions.dll, as the real host starts it
            Settings = new Dictionary<string, string?>
            {
                ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development",
                ["AzureWebJobsStorage"] = TestEnvironment.StorageConnectionString,
                ["Secrets__LocalFile"] = Path.Combine(Path.GetTempPath(), $"hotline-pkg-{Guid.NewGuid():N}.json"),
                ["Storage__TablePrefix"] = "p" + Guid.NewGuid().ToString("N")[..12],
                ["AzureWebJobs.RouteConversation.Disabled"] = "true",
                ["AzureWebJobs.SendSms.Disabled"] = "true",
                ["AzureWebJobs.SendSupervisorAlert.Disabled"] = "true",
                ["AzureWebJobs.SendReferral.Disabled"] = "true",
            },
        });
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        var health = await http.GetAsync(new Uri("/api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(Hotline.Functions.Hosting.FunctionMethods.All.Count, host.Functions.Count);
    }

    /// <summary>Runs <c>./hotline package</c> once for the class, into a temporary folder.</summary>
    public sealed class PackageFixture : IDisposable
    {
        public PackageFixture()
        {
            Output = Path.Combine(Path.GetTempPath(), $"hotline-package-{Guid.NewGuid():N}");
            var start = new ProcessStartInfo("bash", [Path.Combine(TestEnvironment.RepoRoot, "hotline"), "package", "--output", Output])
            {
                WorkingDirectory = TestEnvironment.RepoRoot,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("./hotline package took more than 8 minutes");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"./hotline package failed ({process.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
            }
        }

        public string Output { get; }

        public void Dispose()
        {
            if (Directory.Exists(Output))
            {
                Directory.Delete(Output, recursive: true);
            }
        }
    }
}

using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Packaging;

/// <summary>
/// <c>./hotline package</c> produces what the Azure Functions host expects at the app root, and the handler in it
/// starts the way the host starts it (FUNCTIONS_CUSTOMHANDLER_PORT) and answers the readiness probe.
/// </summary>
public sealed class PackageTests : IClassFixture<PackageTests.PackageFixture>
{
    private readonly PackageFixture _package;

    public PackageTests(PackageFixture package) => _package = package;

    [Fact]
    public void Package_root_has_host_json_the_handler_and_one_folder_per_function()
    {
        var root = _package.Output;
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "host.json")))!;
        var executable = Path.Combine(root, (string)host["customHandler"]!["description"]!["defaultExecutablePath"]!);

        Assert.True(File.Exists(executable), "the executable host.json names is at the package root");
        Assert.True(File.GetUnixFileMode(executable).HasFlag(UnixFileMode.UserExecute), "the handler is executable");
        Assert.Equal(File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "host.json")), File.ReadAllText(Path.Combine(root, "host.json")));

        var sourceFunctions = Directory.GetDirectories(Path.Combine(TestEnvironment.RepoRoot, "functions")).Select(Path.GetFileName).Order().ToList();
        Assert.NotEmpty(sourceFunctions);
        foreach (var name in sourceFunctions)
        {
            Assert.Equal(
                File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "functions", name!, "function.json")),
                File.ReadAllText(Path.Combine(root, name!, "function.json")));
        }

        // Self-contained: the runtime ships inside, nothing needs to be installed on the host.
        Assert.True(File.Exists(Path.Combine(root, "libcoreclr.so")), "self-contained linux-x64 runtime");
        Assert.False(Directory.Exists(Path.Combine(root, "functions")), "function folders sit at the root, not under functions/");
    }

    [Fact]
    public async Task The_packaged_handler_starts_as_the_host_starts_it_and_answers_GET_root()
    {
        var port = RunningApp.FreePort();
        var start = new ProcessStartInfo(Path.Combine(_package.Output, "Hotline.Functions"))
        {
            WorkingDirectory = _package.Output,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["FUNCTIONS_CUSTOMHANDLER_WORKER_ID"] = Guid.NewGuid().ToString();
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["AzureWebJobsStorage"] = TestEnvironment.StorageConnectionString;
        start.Environment["Secrets__LocalFile"] = Path.Combine(Path.GetTempPath(), $"hotline-pkg-{Guid.NewGuid():N}.json");

        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var root = new Uri($"http://127.0.0.1:{port}/");
            // Like the host: poll GET / until it answers.
            await Eventually.TrueAsync(async () =>
            {
                Assert.False(process.HasExited, $"the handler exited: {output}");
                try
                {
                    return (await http.GetAsync(root)).StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "the packaged handler to answer GET /", TimeSpan.FromSeconds(60));

            var health = await http.GetAsync(new Uri(root, "api/health"));
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            lock (output)
            {
                // Under the Functions host the real host drives triggers; the local one must stay off.
                Assert.DoesNotContain("Local Functions host:", output.ToString(), StringComparison.Ordinal);
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
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

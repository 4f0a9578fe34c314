using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.LocalRun;

/// <summary>
/// <c>./hotline up</c> as a person runs it: the banner names every page, the demo roster and the Twilio endpoint in
/// use; settings from the environment win over the simulator; requests are not logged line by line; SIGTERM stops
/// everything; and the app never runs on after Azurite has stopped.
/// </summary>
public sealed class HotlineUpTests
{
    [Fact]
    public async Task The_banner_lists_every_page_and_the_roster_requests_stay_quiet_and_SIGTERM_stops_everything()
    {
        await using var up = await HotlineUp.StartAsync(environment: []);

        foreach (var page in new[] { "/chat", "/console", "/supervisor", "/supervisor/escalations", "/partner", "/dev/twilio" })
        {
            Assert.Contains($"{up.BaseUrl}{page} ", up.Banner, StringComparison.Ordinal);
        }

        // The roster as stored, each with the role and languages.
        Assert.Matches(@"sam\s+supervisor \(on duty\)\s+en\s", up.Banner);
        Assert.Matches(@"oksana\s+counsellor\s+uk ru pl\s", up.Banner);
        Assert.Matches(@"wei\s+counsellor\s+zh en\s+off call", up.Banner);
        Assert.Contains($"Twilio API      {up.BaseUrl}/dev/twilio/api/  (the local simulator", up.Banner, StringComparison.Ordinal);

        using var http = new HttpClient();
        for (var i = 0; i < 10; i++)
        {
            (await http.GetAsync($"{up.BaseUrl}/api/health")).EnsureSuccessStatusCode();
            (await http.GetAsync($"{up.BaseUrl}/chat")).EnsureSuccessStatusCode();
        }

        await Task.Delay(500); // let any log line the requests caused reach the output
        Assert.DoesNotContain("Request starting", up.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Request finished", up.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Proxying to", up.Output + up.Errors, StringComparison.Ordinal); // the local host's proxy
        Assert.DoesNotContain("warning", up.Output + up.Errors, StringComparison.OrdinalIgnoreCase); // nor the build
        Assert.DoesNotContain("fail:", up.Output + up.Errors, StringComparison.Ordinal);

        up.Signal("TERM");
        await up.WaitForExitAsync();
        Assert.False(IsListening(up.AppPort), "the app still listens after SIGTERM");
        Assert.False(IsListening(up.TablePort), "Azurite still listens after SIGTERM");
        Assert.Contains("Stopped.", up.Errors, StringComparison.Ordinal);
        // The local Functions host sent the worker its terminate message and the worker stopped by itself.
        Assert.Contains("Worker 1 exited with code 0", up.Output + up.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Twilio_settings_from_the_environment_win_and_the_app_stops_when_Azurite_stops()
    {
        await using var up = await HotlineUp.StartAsync(environment: new() { ["Twilio__ApiBaseUrl"] = "http://127.0.0.1:9/" });

        Assert.Contains("Twilio API      http://127.0.0.1:9/  (from the environment", up.Banner, StringComparison.Ordinal);
        Assert.DoesNotContain("/dev/twilio/api/", up.Banner, StringComparison.Ordinal);

        // Azurite dies under the app: the app is stopped too, not left running without its storage.
        Process.GetProcessById(up.AzuritePid()).Kill();
        await up.WaitForExitAsync();
        Assert.False(IsListening(up.AppPort), "the app still listens after Azurite stopped");
        Assert.Contains("Azurite stopped", up.Errors, StringComparison.Ordinal);
    }

    private static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary><c>./hotline up --no-build</c> (the test run built the app) on a free port, with its own Azurite data folder.</summary>
    private sealed class HotlineUp : IAsyncDisposable
    {
        private readonly Process process;
        private readonly StringBuilder output = new();
        private readonly StringBuilder errors = new();
        private readonly string dataFolder;

        private HotlineUp(Process process, string dataFolder, int appPort)
        {
            this.process = process;
            this.dataFolder = dataFolder;
            AppPort = appPort;
        }

        public int AppPort { get; }

        public string BaseUrl => $"http://127.0.0.1:{AppPort}";

        public int TablePort { get; private set; }

        public string Banner { get; private set; } = "";

        public string Output { get { lock (output) { return output.ToString(); } } }

        public string Errors { get { lock (errors) { return errors.ToString(); } } }

        public static async Task<HotlineUp> StartAsync(Dictionary<string, string> environment)
        {
            var port = RunningApp.FreePort();
            var data = Path.Combine(Path.GetTempPath(), TestEnvironment.UniqueName("hotline-up"));
            var start = new ProcessStartInfo("bash", [Path.Combine(TestEnvironment.RepoRoot, "hotline"), "up", "--no-build", "--port", $"{port}", "--data", data])
            {
                WorkingDirectory = TestEnvironment.RepoRoot,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            foreach (var name in new[] { "Twilio__ApiBaseUrl", "Twilio__AccountSid", "ASPNETCORE_URLS" })
            {
                start.Environment.Remove(name);
            }

            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }

            var up = new HotlineUp(Process.Start(start)!, data, port);
            up.process.OutputDataReceived += (_, e) => { lock (up.output) { up.output.AppendLine(e.Data); } };
            up.process.ErrorDataReceived += (_, e) => { lock (up.errors) { up.errors.AppendLine(e.Data); } };
            up.process.BeginOutputReadLine();
            up.process.BeginErrorReadLine();
            await Eventually.TrueAsync(
                () => up.Errors.Contains("Press Ctrl-C", StringComparison.Ordinal) || up.process.HasExited,
                "./hotline up to print its banner", TimeSpan.FromSeconds(90));
            Assert.False(up.process.HasExited, $"./hotline up stopped during startup:\n{up.Errors}");
            up.Banner = up.Errors;
            up.TablePort = int.Parse(
                System.Text.RegularExpressions.Regex.Match(up.Banner, @"tables on (\d+)").Groups[1].Value,
                System.Globalization.CultureInfo.InvariantCulture);
            return up;
        }

        public void Signal(string signal) => Process.Start("kill", [$"-{signal}", $"{process.Id}"])!.WaitForExit();

        public async Task WaitForExitAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
        }

        /// <summary>The Azurite this run started: the node process whose command line names its data folder.</summary>
        public int AzuritePid()
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), out var pid)
                    && TryRead(Path.Combine(dir, "cmdline")) is { } commandLine
                    && commandLine.Contains("azurite", StringComparison.Ordinal)
                    && commandLine.Contains(dataFolder, StringComparison.Ordinal))
                {
                    return pid;
                }
            }

            throw new InvalidOperationException("Azurite's process was not found.");
        }

        private static string? TryRead(string path)
        {
            try
            {
                return File.ReadAllText(path);
            }
            catch (IOException)
            {
                return null;
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                Signal("TERM");
                await WaitForExitAsync();
            }

            process.Dispose();
            try
            {
                Directory.Delete(dataFolder, recursive: true);
            }
            catch (IOException)
            {
                // Azurite may still be closing a file; the temp folder is cleaned by the machine.
            }
        }
    }
}


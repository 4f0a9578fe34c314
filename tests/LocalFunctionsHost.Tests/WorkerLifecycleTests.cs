using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace LocalFunctionsHost.Tests;

/// <summary>The worker as a process: restarted when it dies, told to stop (WorkerTerminate) when the host stops.</summary>
public sealed class WorkerLifecycleTests
{
    [Fact]
    public async Task A_killed_worker_process_is_restarted_and_serves_again()
    {
        await using var host = await Sample.StartAsync(new ProcessWorkerLauncher(), Sample.Settings());
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        var firstPid = await EchoPidAsync(http);
        var first = await host.CurrentWorker;

        first.Instance.Kill();
        Assert.NotEqual(0, await first.Instance.Exited.WaitAsync(TimeSpan.FromSeconds(10)));

        // A request made meanwhile waits for the new worker.
        var secondPid = await EchoPidAsync(http);
        Assert.NotEqual(firstPid, secondPid);
        Assert.Equal(2, host.WorkerStarts);
        Assert.Equal(2, (await host.CurrentWorker).Generation);
    }

    [Fact]
    public async Task Stopping_the_host_sends_WorkerTerminate_and_the_worker_exits_by_itself()
    {
        var log = new LogLines();
        var host = await Sample.StartAsync(new ProcessWorkerLauncher(), Sample.Settings(), log: log);
        var session = await host.CurrentWorker;

        await host.DisposeAsync();

        // A killed process exits 137; a worker that obeyed WorkerTerminate exits 0.
        var code = await session.Instance.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(code == 0, $"exit code {code}\n{log}");
    }

    [Fact]
    public async Task While_the_worker_restarts_an_http_request_waits_briefly_then_gets_503_with_the_reason()
    {
        await using var host = await Sample.StartAsync(Sample.InProcess(), Sample.Settings(),
            restartDelay: TimeSpan.FromSeconds(3), httpWait: TimeSpan.FromMilliseconds(200));
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        var first = await host.CurrentWorker;

        first.Instance.Kill(); // an in-process worker: its host is stopped at once
        await first.Instance.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => !host.CurrentWorker.IsCompleted, "the host to notice");

        using var unavailable = await http.GetAsync("api/items/1");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.Contains("restarted", await unavailable.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await Eventually.TrueAsync(async () =>
        {
            using var response = await http.GetAsync("api/items/1");
            return response.StatusCode == HttpStatusCode.OK;
        }, "the restarted in-process worker to serve");
        Assert.Equal(2, host.WorkerStarts);
    }

    private static async Task<int> EchoPidAsync(HttpClient http)
    {
        using var echo = JsonDocument.Parse(await http.GetStringAsync("api/echo/pid"));
        return echo.RootElement.GetProperty("processId").GetInt32();
    }
}

/// <summary>Startup problems stop the host with one line naming them.</summary>
public sealed class StartupFailureTests
{
    [Fact]
    public async Task A_missing_setting_named_by_a_percent_expression_is_named()
    {
        var settings = Sample.Settings();
        settings.Remove("SampleQueue");
        var e = await Assert.ThrowsAsync<HostStartupException>(() => Sample.StartAsync(Sample.InProcess(), settings));
        Assert.Equal("Function Orders: app setting 'SampleQueue' (named by %SampleQueue% in queueName) is not set.", e.Message);
    }

    [Fact]
    public async Task A_missing_storage_connection_is_named()
    {
        var settings = Sample.Settings();
        settings["AzureWebJobsStorage"] = "";
        var e = await Assert.ThrowsAsync<HostStartupException>(() => Sample.StartAsync(Sample.InProcess(), settings));
        Assert.StartsWith("Function Orders: connection setting 'AzureWebJobsStorage' is not set", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0 */5 * * *")] // five fields: Azure needs seconds
    [InlineData("every five minutes")]
    public async Task An_unparseable_schedule_is_named_with_its_function(string schedule)
    {
        var e = await Assert.ThrowsAsync<HostStartupException>(
            () => Sample.StartAsync(Sample.InProcess(), Sample.Settings(schedule: schedule)));
        Assert.StartsWith($"Function Sweep: schedule '{schedule}' is not an NCRONTAB expression", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_that_never_connects_is_reported()
    {
        var e = await Assert.ThrowsAsync<HostStartupException>(() => FunctionsHost.StartAsync(new FunctionsHostOptions
        {
            ScriptRoot = Sample.Folder,
            Port = 0,
            Launcher = new SilentLauncher(),
            WorkerStartTimeout = TimeSpan.FromMilliseconds(500),
        }));
        Assert.Equal("The worker did not connect within 1 s.", e.Message.Replace("0.5", "1", StringComparison.Ordinal));
    }

    private sealed class SilentLauncher : IWorkerLauncher
    {
        public IWorkerInstance Launch(WorkerStartInfo start, Microsoft.Extensions.Logging.ILogger logger) => new Silent();

        private sealed class Silent : IWorkerInstance
        {
            private readonly TaskCompletionSource<int> _exited = new();

            public Task<int> Exited => _exited.Task;

            public IServiceProvider? Services => null;

            public void Kill() => _exited.TrySetResult(137);

            public ValueTask DisposeAsync()
            {
                Kill();
                return ValueTask.CompletedTask;
            }
        }
    }
}

/// <summary>The command-line host: <c>dotnet LocalFunctionsHost.dll --script-root ... --port ...</c>.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public async Task The_command_line_host_prints_one_line_and_exits_non_zero()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            Environment = { ["SampleQueue"] = null, ["SampleSchedule"] = "0 0 0 1 1 *", ["AzureWebJobsStorage"] = Sample.Storage },
        };
        start.ArgumentList.Add(Sample.HostAssembly);
        start.ArgumentList.Add("--script-root");
        start.ArgumentList.Add(Sample.Folder);
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add("0");
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, process.ExitCode);
        var line = Assert.Single((await error).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("LocalFunctionsHost: Function Orders: app setting 'SampleQueue' (named by %SampleQueue% in queueName) is not set.", line);
        _ = await output;
    }

    [Fact]
    public async Task The_command_line_host_lists_its_functions_serves_them_and_stops_its_worker_on_SIGTERM()
    {
        var queue = Sample.UniqueQueue("cli");
        var settings = Sample.Settings(queue);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        foreach (var argument in new[] { Sample.HostAssembly, "--script-root", Sample.Folder, "--port", "0" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lines.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            var listening = await Eventually.ReturnsAsync(
                () => Task.FromResult(lines.FirstOrDefault(l => l.StartsWith("Listening on ", StringComparison.Ordinal))),
                "the host to listen");
            var baseUrl = new Uri(listening["Listening on ".Length..].Split(' ')[0]);

            Assert.Contains($"  Echo: [GET,POST,PUT] {baseUrl}api/echo/{{*rest}}", lines);
            Assert.Contains($"  Orders: queueTrigger on {queue}", lines);
            Assert.Contains("  Sweep: timerTrigger '0 0 0 1 1 *' (UTC)", lines);
            using var http = new HttpClient { BaseAddress = baseUrl };
            Assert.Equal("{\"id\":7,\"path\":\"/api/items/7\"}", await http.GetStringAsync("api/items/7"));
        }
        finally
        {
            using var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await term.WaitForExitAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.Equal(0, process.ExitCode);
        Assert.Contains(lines, l => l.Contains("Worker 1 exited with code 0", StringComparison.Ordinal)); // WorkerTerminate obeyed
        _ = await error;
    }
}

using Hotline.Functions.Demo;
using Hotline.Roster;
using Hotline.Storage;

namespace Hotline.Functions.Configuration;

/// <summary>
/// After the server is up (never delaying the host's readiness probe), creates missing tables and queues and,
/// when asked, seeds the demo roster. Retries with back-off while storage is not reachable yet.
/// </summary>
public sealed partial class StorageStartup(
    IServiceProvider services,
    HotlineSettings settings,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<StorageStartup> logger) : BackgroundService
{
    private static readonly TimeSpan WarmUpAfter = TimeSpan.FromSeconds(3);

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once storage is provisioned (and seeded, when seeding is on).</summary>
    public Task Ready => _ready.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);

        // Warm what the first caller's message needs (the language model, the caller texts), once the request that
        // started this instance has had the processor: a message arriving sooner loads them itself.
        _ = Task.Run(async () =>
        {
            await Task.Delay(WarmUpAfter, time, stoppingToken);
            _ = Hotline.Language.LanguageDetector.Default.Detect("warm up");
            _ = services.GetService<Hotline.Messaging.CallerTexts>();
        }, stoppingToken);

        // Resolved only now: building the storage clients before the server listens would delay readiness.
        var provisioner = services.GetRequiredService<StorageProvisioner>();
        var roster = services.GetRequiredService<IRosterStore>();

        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await provisioner.EnsureCreatedAsync(stoppingToken);
                if (settings.SeedDemoRoster)
                {
                    await DemoRoster.SeedAsync(roster, stoppingToken);
                    LogSeeded(DemoRoster.Counsellors.Count);
                }

                _ready.TrySetResult();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogNotReady(e, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt * 2)), stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo roster seeded ({Count} counsellors)")]
    private partial void LogSeeded(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage not ready yet (attempt {Attempt}); retrying")]
    private partial void LogNotReady(Exception e, int attempt);
}

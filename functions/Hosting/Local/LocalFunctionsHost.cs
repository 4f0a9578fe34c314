using System.Text.RegularExpressions;
using Hotline.Storage;
using NCrontab;

namespace Hotline.Functions.Hosting.Local;

/// <summary>
/// Outside Azure, this process plays the Functions host for non-HTTP triggers: it reads host.json and every
/// function.json and drives queue and timer triggers against the configured storage (Azurite locally), invoking
/// functions through the same <c>POST /{FunctionName}</c> contract. In Azure the real host does this and this
/// service is off (the host sets FUNCTIONS_CUSTOMHANDLER_PORT).
/// </summary>
public sealed partial class LocalFunctionsHost(
    LocalFunctionsPlan plan,
    StorageAccount storage,
    LocalInvoker invoker,
    LocalFunctionsHostState state,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Invocations go to our own HTTP endpoint, so wait until the server listens.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        var logger = loggerFactory.CreateLogger<LocalFunctionsHost>();
        var runs = new List<Task>();
        foreach (var (function, queueName) in plan.QueueFunctions)
        {
            var listener = new QueueTriggerListener(
                function, queueName, plan.Catalog.Host.Queues, storage, invoker, time, logger);
            state.SetListening(function.Name, queueName);
            runs.Add(Task.Run(() => listener.RunAsync(stoppingToken), CancellationToken.None));
        }

        foreach (var (function, schedule) in plan.TimerFunctions)
        {
            var scheduler = new TimerTriggerScheduler(function, schedule, invoker, state, time, logger);
            runs.Add(Task.Run(() => scheduler.RunAsync(stoppingToken), CancellationToken.None));
        }

        LogStarted(logger, plan.QueueFunctions.Count, plan.TimerFunctions.Count, plan.Catalog.Root);
        await Task.WhenAll(runs);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Local Functions host: {QueueCount} queue trigger(s), {TimerCount} timer trigger(s) from {Root}")]
    private static partial void LogStarted(ILogger logger, int queueCount, int timerCount, string root);
}

/// <summary>
/// The local host's plan, checked at startup so a bad function.json stops the app with a clear message instead of
/// failing later: every queue and timer function has a handler, <c>%Setting%</c> expressions resolve, schedules
/// parse, and connections name the one storage account.
/// </summary>
public sealed partial class LocalFunctionsPlan
{
    private LocalFunctionsPlan(
        FunctionCatalog catalog,
        IReadOnlyList<(FunctionDefinition, string)> queues,
        IReadOnlyList<(FunctionDefinition, CrontabSchedule)> timers)
    {
        Catalog = catalog;
        QueueFunctions = queues;
        TimerFunctions = timers;
    }

    public FunctionCatalog Catalog { get; }

    public IReadOnlyList<(FunctionDefinition Function, string QueueName)> QueueFunctions { get; }

    public IReadOnlyList<(FunctionDefinition Function, CrontabSchedule Schedule)> TimerFunctions { get; }

    public static LocalFunctionsPlan Create(
        FunctionCatalog catalog, IReadOnlyCollection<string> handlerNames, IConfiguration configuration)
    {
        var queues = new List<(FunctionDefinition, string)>();
        var timers = new List<(FunctionDefinition, CrontabSchedule)>();
        var handlers = new HashSet<string>(handlerNames, StringComparer.OrdinalIgnoreCase);

        foreach (var function in catalog.Functions)
        {
            var trigger = function.Trigger!;
            if (trigger.Type == BindingDefinition.HttpTrigger)
            {
                continue; // served directly at its route
            }

            if (!handlers.Contains(function.Name))
            {
                throw new FunctionCatalogException(
                    $"functions/{function.Name}/function.json has no handler in the app.");
            }

            switch (trigger.Type)
            {
                case BindingDefinition.QueueTrigger:
                    if (trigger.Connection is { Length: > 0 } connection && connection != StorageAccount.SettingName)
                    {
                        throw new FunctionCatalogException(
                            $"functions/{function.Name}/function.json: connection '{connection}' is not supported; " +
                            $"use '{StorageAccount.SettingName}'.");
                    }

                    var queueName = ResolveExpression(function.Name, trigger.QueueName, configuration)
                        ?? throw new FunctionCatalogException(
                            $"functions/{function.Name}/function.json: the queue trigger has no queueName.");
                    queues.Add((function, queueName));
                    break;
                case BindingDefinition.TimerTrigger:
                    var expression = ResolveExpression(function.Name, trigger.Schedule, configuration)
                        ?? throw new FunctionCatalogException(
                            $"functions/{function.Name}/function.json: the timer trigger has no schedule.");
                    timers.Add((function, TimerTriggerScheduler.Parse(function.Name, expression)));
                    break;
                default:
                    throw new FunctionCatalogException(
                        $"functions/{function.Name}/function.json: trigger '{trigger.Type}' is not supported.");
            }
        }

        return new LocalFunctionsPlan(catalog, queues, timers);
    }

    /// <summary>Resolves <c>%Name%</c> app-setting expressions as the Functions host does.</summary>
    public static string? ResolveExpression(string functionName, string? value, IConfiguration configuration)
    {
        if (value is null)
        {
            return null;
        }

        return SettingExpression().Replace(value, m =>
        {
            var key = m.Groups[1].Value;
            return configuration[key.Replace("__", ":", StringComparison.Ordinal)]
                ?? throw new FunctionCatalogException(
                    $"functions/{functionName}/function.json refers to setting '{key}', which is not set.");
        });
    }

    [GeneratedRegex("%([A-Za-z0-9_:.-]+)%")]
    private static partial Regex SettingExpression();
}

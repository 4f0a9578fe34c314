using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using NCrontab;

namespace LocalFunctionsHost;

/// <summary>A queue trigger, resolved: the queue's name and the storage connection string to poll it with.</summary>
public sealed record QueueBinding(string QueueName, string ConnectionString);

/// <summary>
/// Every function's trigger, checked before anything listens so a bad setting stops the host with one clear line:
/// <c>%Setting%</c> expressions resolve, connections name a set connection string, schedules parse.
/// </summary>
public sealed partial record TriggerPlan(
    IReadOnlyList<FunctionDefinition> Http,
    IReadOnlyList<(FunctionDefinition Function, QueueBinding Queue)> Queues,
    IReadOnlyList<(FunctionDefinition Function, CrontabSchedule Schedule)> Timers)
{
    public const string DefaultConnection = "AzureWebJobsStorage";

    public static TriggerPlan Create(IReadOnlyList<FunctionDefinition> functions, IConfiguration settings)
    {
        var http = new List<FunctionDefinition>();
        var queues = new List<(FunctionDefinition, QueueBinding)>();
        var timers = new List<(FunctionDefinition, CrontabSchedule)>();
        foreach (var function in functions)
        {
            var trigger = function.Trigger
                ?? throw new HostStartupException($"Function {function.Name} has no trigger binding.");
            if (function.Bindings.FirstOrDefault(b => b.Direction != Protocol.BindingInfo.Types.Direction.In && !b.Is("http")) is { } output)
            {
                // The real host writes output bindings (queue messages, blobs...); this one does not, so refuse
                // rather than drop the function's output silently.
                throw new HostStartupException(
                    $"Function {function.Name}: output binding '{output.Name}' ({output.Type}) is not written by the local host.");
            }

            if (IsDisabled(function.Name, settings))
            {
                continue;
            }

            if (trigger.Is(Binding.HttpTrigger))
            {
                // Azure asks for a function key unless the level is anonymous (the attribute's default is function);
                // this host has no keys, so it would let through what Azure refuses.
                if (!string.Equals(trigger["authLevel"], "anonymous", StringComparison.OrdinalIgnoreCase))
                {
                    throw new HostStartupException(
                        $"Function {function.Name}: authLevel '{trigger["authLevel"] ?? "function"}' needs function keys, which the local host does not have; " +
                        "declare AuthorizationLevel.Anonymous and authorize in the app.");
                }

                http.Add(function);
            }
            else if (trigger.Is(Binding.QueueTrigger))
            {
                var queue = Resolve(function, "queueName", trigger["queueName"], settings)
                    ?? throw new HostStartupException($"Function {function.Name}: the queue trigger names no queueName.");
                queues.Add((function, new QueueBinding(queue.ToLowerInvariant(), ConnectionString(function, trigger, settings))));
            }
            else if (trigger.Is(Binding.TimerTrigger))
            {
                var expression = Resolve(function, "schedule", trigger["schedule"], settings)
                    ?? throw new HostStartupException($"Function {function.Name}: the timer trigger names no schedule.");
                timers.Add((function, ParseSchedule(function.Name, expression)));
            }
            else
            {
                throw new HostStartupException(
                    $"Function {function.Name}: trigger '{trigger.Type}' is not served by the local host (HTTP, queue and timer are).");
            }
        }

        return new TriggerPlan(http, queues, timers);
    }

    /// <summary>The app setting <c>AzureWebJobs.&lt;function&gt;.Disabled</c>, as in Azure: the function is not triggered.</summary>
    public static bool IsDisabled(string function, IConfiguration settings) =>
        settings[$"AzureWebJobs.{function}.Disabled"] is { } value
        && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1");

    public static CrontabSchedule ParseSchedule(string functionName, string expression) =>
        CrontabSchedule.TryParse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true })
        ?? throw new HostStartupException(
            $"Function {functionName}: schedule '{expression}' is not an NCRONTAB expression with six fields " +
            "({second} {minute} {hour} {day} {month} {day-of-week}).");

    /// <summary>Resolves <c>%Name%</c> app-setting expressions as the Functions host does.</summary>
    public static string? Resolve(FunctionDefinition function, string property, string? value, IConfiguration settings)
    {
        if (value is null)
        {
            return null;
        }

        return SettingExpression().Replace(value, m =>
        {
            var key = m.Groups[1].Value;
            return Setting(settings, key) ?? throw new HostStartupException(
                $"Function {function.Name}: app setting '{key}' (named by %{key}% in {property}) is not set.");
        });
    }

    private static string ConnectionString(FunctionDefinition function, Binding trigger, IConfiguration settings)
    {
        var name = trigger["connection"] is { Length: > 0 } c ? c.Trim('%') : DefaultConnection;
        // As the host: the setting itself, else with the AzureWebJobs prefix.
        var value = Setting(settings, name) ?? Setting(settings, "AzureWebJobs" + name);
        if (string.IsNullOrEmpty(value))
        {
            var identityBased = settings.GetSection(name.Replace("__", ":", StringComparison.Ordinal)).GetChildren().Any();
            throw new HostStartupException(identityBased
                ? $"Function {function.Name}: connection '{name}' is identity-based ({name}__...); the local host needs a connection string in setting '{name}'."
                : $"Function {function.Name}: connection setting '{name}' is not set (a storage connection string, e.g. UseDevelopmentStorage=true).");
        }

        return value;
    }

    private static string? Setting(IConfiguration settings, string key) =>
        settings[key.Replace("__", ":", StringComparison.Ordinal)] ?? settings[key];

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingExpression();
}

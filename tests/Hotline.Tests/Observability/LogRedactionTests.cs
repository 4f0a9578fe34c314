using System.Diagnostics;
using Hotline.Functions.Observability;
using Hotline.Privacy;
using Hotline.Tests.Infrastructure;
using OpenTelemetry.Trace;

namespace Hotline.Tests.Observability;

/// <summary>
/// Whatever code logs, no phone number or message body reaches a logger provider or a trace exporter.
/// Both the capturing provider and the in-memory exporter sit where real ones would, behind the redaction layer.
/// </summary>
public sealed class LogRedactionTests
{
    private const string Number = "+40 721 234 567";
    private const string Body = "they took my passport";

    private static readonly string[] Forms = ["+40721234567", "40721234567", "+40 721 234 567", "721 234 567", "721234567"];

    [Fact]
    public async Task No_log_line_carries_a_phone_number_or_message_body_however_it_was_logged()
    {
        await using var app = await RunningApp.StartAsync(needsStorage: false);
        var logger = app.Services.GetRequiredService<ILogger<LogRedactionTests>>();

        logger.LogInformation("Inbound from {From} saying {Body}", Number, Body);
        logger.LogInformation("Caller number {CallerValue}", "+40721234567");
        logger.LogInformation("Long integer {Value}", 40721234567L);
#pragma warning disable CA2254 // the point is to prove an interpolated message is scrubbed too
        logger.LogWarning($"Interpolated: caller {Number} said something");
#pragma warning restore CA2254
        logger.LogInformation("Text object {Content}", new SensitiveText(Body));
        using (logger.BeginScope("conversation with {Phone}", Number))
        using (logger.BeginScope(new Dictionary<string, object?> { ["To"] = "+40721234567" }))
        {
            logger.LogError(new InvalidOperationException($"Could not send to {Number}"), "Send failed for {Attempt}", 2);
        }

        var text = app.Logs.AllText;
        // The worker's logs also travel to the Functions host over gRPC (RpcLog): scrubbed before they leave.
        await Eventually.TrueAsync(() => app.HostLogs.AllText.Contains("Send failed for 2", StringComparison.Ordinal),
            "the worker's logs to reach the Functions host");
        text += "\n" + app.HostLogs.AllText;
        Assert.Contains("Inbound from", text, StringComparison.Ordinal);
        Assert.Contains("Send failed for 2", text, StringComparison.Ordinal);
        Assert.Contains(nameof(InvalidOperationException), text, StringComparison.Ordinal);
        Assert.DoesNotContain(Body, text, StringComparison.Ordinal);
        foreach (var form in Forms)
        {
            Assert.DoesNotContain(form, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Request_logs_and_trace_spans_are_scrubbed_before_any_exporter()
    {
        var spans = new List<Activity>();
        await using var app = await RunningApp.StartAsync(traceExporters: t => t.AddInMemoryExporter(spans), needsStorage: false);

        await app.Http.GetAsync(new Uri("/api/health?from=%2B40721234567&callback=0721234567", UriKind.Relative));
        using (var span = Telemetry.Source.StartActivity("inbound sms from +40721234567"))
        {
            span?.SetTag("messaging.message.body", Body);
            span?.SetTag("hotline.note", "reply to 0721 234 567");
        }

        // The tracer listens process-wide; other tests' apps run alongside, so pick out this test's two spans.
        List<Activity> Ours()
        {
            Activity[] snapshot;
            try
            {
                snapshot = [.. spans]; // the exporter appends from other threads
            }
            catch (InvalidOperationException)
            {
                return [];
            }

            {
                return snapshot.Where(a => a.DisplayName.StartsWith("inbound sms", StringComparison.Ordinal)
                    || a.TagObjects.Any(t => t.Key == "url.path" && Equals(t.Value, "/api/health")
                        && a.TagObjects.Any(q => q.Key == "url.query" && q.Value?.ToString()?.Contains("callback", StringComparison.Ordinal) == true)))
                    .ToList();
            }
        }

        await Eventually.TrueAsync(() => Ours().Count >= 2, "both spans to be exported");
        var exported = string.Join('\n', Ours().Select(s =>
            s.DisplayName + " " + string.Join(' ', s.TagObjects.Select(t => $"{t.Key}={t.Value}"))));
        Assert.Contains("messaging.message.body=" + SensitiveDataScrubber.TextMask, exported, StringComparison.Ordinal);
        Assert.DoesNotContain(Body, exported, StringComparison.Ordinal);
        foreach (var form in Forms)
        {
            Assert.DoesNotContain(form, exported, StringComparison.Ordinal);
            Assert.DoesNotContain(form, app.Logs.AllText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_logger_provider_is_wrapped_not_only_the_first()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerProvider>(new CapturingLoggerProvider());
        services.AddSingleton<ILoggerProvider, CapturingLoggerProvider>();
        services.AddSingleton<ILoggerProvider>(_ => new CapturingLoggerProvider());

        services.RedactAllLogProviders();

        using var sp = services.BuildServiceProvider();
        Assert.All(sp.GetServices<ILoggerProvider>(), p => Assert.IsType<RedactingLoggerProvider>(p));
        Assert.Equal(3, sp.GetServices<ILoggerProvider>().Count());
    }
}

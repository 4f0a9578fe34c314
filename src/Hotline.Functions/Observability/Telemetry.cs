using System.Diagnostics;
using Azure.Monitor.OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Hotline.Functions.Observability;

/// <summary>
/// OpenTelemetry traces for incoming requests, outgoing HTTP calls and the hotline's own spans. Exported over OTLP
/// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, to Application Insights when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set; otherwise spans are created for in-process listeners only.
/// </summary>
public static class Telemetry
{
    public const string ServiceName = "hotline-functions";

    public static ActivitySource Source { get; } = new("Hotline");

    public static IServiceCollection AddHotlineTelemetry(
        this IServiceCollection services, IConfiguration configuration, Action<TracerProviderBuilder>? addExporters)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName))
            .WithTracing(tracing =>
            {
                tracing
                    .AddSource(Source.Name)
                    .AddAspNetCoreInstrumentation(o =>
                    {
                        o.RecordException = false; // exception messages could carry caller data
                        o.Filter = context => context.Request.Path != "/"; // the host's readiness probe
                    })
                    .AddHttpClientInstrumentation(o => o.RecordException = false)
                    .AddProcessor(new TraceRedactionProcessor());

                // Exporters come after the redaction processor, so they only see scrubbed spans.
                addExporters?.Invoke(tracing);
                if (!string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
                {
                    tracing.AddOtlpExporter();
                }

                if (configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"] is { Length: > 0 } appInsights)
                {
                    tracing.AddAzureMonitorTraceExporter(o => o.ConnectionString = appInsights);
                }
            });
        return services;
    }
}

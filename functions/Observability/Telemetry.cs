using System.Diagnostics;
using Azure.Monitor.OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Hotline.Functions.Observability;

/// <summary>
/// OpenTelemetry traces for incoming requests, outgoing HTTP calls and the hotline's own spans. Exported over OTLP
/// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, to Application Insights when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set. With no exporter, no tracer provider is built at all: it would
/// cost cold-start time for spans nobody receives.
/// </summary>
public static class Telemetry
{
    public const string ServiceName = "hotline-functions";

    public static ActivitySource Source { get; } = new("Hotline");

    public static IServiceCollection AddHotlineTelemetry(
        this IServiceCollection services, IConfiguration configuration, Action<TracerProviderBuilder>? addExporters)
    {
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var appInsights = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        if (!otlp && string.IsNullOrWhiteSpace(appInsights) && addExporters is null)
        {
            return services;
        }

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
                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }

                if (!string.IsNullOrWhiteSpace(appInsights))
                {
                    tracing.AddAzureMonitorTraceExporter(o => o.ConnectionString = appInsights);
                }
            });
        return services;
    }
}

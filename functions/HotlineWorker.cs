using Hotline.Functions.Auth;
using Hotline.Functions.Chat;
using Hotline.Functions.Configuration;
using Hotline.Functions.Dev;
using Hotline.Functions.Hosting;
using Hotline.Functions.Observability;
using Hotline.Functions.Roster;
using Hotline.Roster;
using Hotline.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Trace;

namespace Hotline.Functions;

/// <summary>Extension points for whoever composes the app (the program itself, tests, benchmarks).</summary>
public sealed class HotlineAppHooks
{
    /// <summary>Runs first: add configuration, services or logger providers.</summary>
    public Action<FunctionsApplicationBuilder>? ConfigureBuilder { get; init; }

    /// <summary>Adds trace exporters; they run after the redaction processor.</summary>
    public Action<TracerProviderBuilder>? AddTraceExporters { get; init; }

    /// <summary>Added to every storage request pipeline (benchmarks count storage transactions with it).</summary>
    public Azure.Core.Pipeline.HttpPipelinePolicy? StoragePipelinePolicy { get; init; }

    /// <summary>Adjusts the Key Vault client (e.g. its transport).</summary>
    public Action<Azure.Security.KeyVault.Secrets.SecretClientOptions>? ConfigureKeyVaultClient { get; init; }
}

/// <summary>Composes the isolated worker: settings, services and the worker middleware every HTTP function passes.</summary>
public static class HotlineWorker
{
    /// <summary>
    /// Builds the worker. Throws <see cref="StartupSettingException"/> (one line naming the setting) when a required
    /// setting is missing or malformed.
    /// </summary>
    public static IHost Build(string[] args, HotlineAppHooks? hooks = null)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        hooks?.ConfigureBuilder?.Invoke(builder);

        var settings = HotlineSettings.Read(builder.Configuration, builder.Environment);

        StorageAccount storage;
        try
        {
            storage = StorageAccount.FromConfiguration(builder.Configuration, hooks?.StoragePipelinePolicy);
        }
        catch (StorageSettingException e)
        {
            throw new StartupSettingException(e.Message);
        }

        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(settings);
        services.AddSingleton(settings.Languages);
        services.AddSingleton(storage);
        services.AddSingleton<StorageHealthProbe>();
        services.AddSingleton<StorageProvisioner>();
        services.AddSingleton<IRosterStore, TableRosterStore>();
        services.AddSingleton<StorageStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<StorageStartup>());
        services.AddHotlineSecrets(settings.Secrets, hooks?.ConfigureKeyVaultClient);

        services.AddConversations(builder.Configuration, builder.Environment, settings);
        services.AddHotlineAuth(settings.Auth);
        services.AddChat(builder.Configuration);
        if (builder.Environment.IsDevelopment())
        {
            services.AddTwilioSimulator();
        }

        services.AddHotlineTelemetry(builder.Configuration, hooks?.AddTraceExporters);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase);
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = HttpHardening.MaxRequestBodyBytes);

        // Every HTTP function passes these, in this order; queue and timer functions pass straight through.
        builder.UseMiddleware<HttpHardening>();
        builder.UseMiddleware<DevelopmentOnlyFunctions>();
        builder.UseMiddleware<FunctionAuthorization>();
        builder.UseMiddleware<FunctionRateLimiting>();
        builder.UseMiddleware<PresenceRecording>();

        // Last: wrap every logger provider registered above (and by the hooks) with redaction.
        services.RedactAllLogProviders();

        return builder.Build();
    }
}

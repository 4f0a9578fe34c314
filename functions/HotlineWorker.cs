using Hotline.Functions.Auth;
using Hotline.Functions.Callbacks;
using Hotline.Functions.Chat;
using Hotline.Functions.Configuration;
using Hotline.Functions.Dev;
using Hotline.Functions.Hosting;
using Hotline.Functions.Observability;
using Hotline.Functions.Roster;
using Hotline.Functions.Voice;
using Hotline.Roster;
using Hotline.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Trace;

namespace Hotline.Functions;

/// <summary>Extension points for whoever composes the app (the program itself, tests, benchmarks).</summary>
public sealed class HotlineAppHooks
{
    /// <summary>Runs last, before the host is built: add configuration or logger providers.</summary>
    public Action<IHostBuilder>? ConfigureHost { get; init; }

    /// <summary>Runs before the hotline's own services are added, which leave these in place (a clock, a queue).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>Runs with the worker's own configuration (before the hotline's middleware is added).</summary>
    public Action<IFunctionsWorkerApplicationBuilder>? ConfigureWorker { get; init; }

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
    public static IHost Build(HotlineAppHooks? hooks = null)
    {
        var builder = new HostBuilder()
            // Before the environment and the command line, which the worker defaults add and which win over it.
            .ConfigureAppConfiguration(config => config.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true))
            .ConfigureFunctionsWebApplication(worker =>
            {
                hooks?.ConfigureWorker?.Invoke(worker);
                // Every HTTP function passes these, in this order; queue and timer functions pass straight through.
                worker.UseMiddleware<HttpHardening>();
                worker.UseMiddleware<DevelopmentOnlyFunctions>();
                worker.UseMiddleware<FunctionAuthorization>();
                worker.UseMiddleware<FunctionRateLimiting>();
                worker.UseMiddleware<PresenceRecording>();
            })
            .ConfigureLogging((context, logging) => logging.AddConfiguration(context.Configuration.GetSection("Logging")))
            .ConfigureServices((context, services) => AddHotline(services, context.Configuration, context.HostingEnvironment, hooks));
        hooks?.ConfigureHost?.Invoke(builder);
        // Last: wrap every logger provider registered above (and by the hooks) with redaction.
        builder.ConfigureServices(services => services.RedactAllLogProviders());
        return builder.Build();
    }

    private static void AddHotline(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment, HotlineAppHooks? hooks)
    {
        hooks?.ConfigureServices?.Invoke(services);
        var settings = HotlineSettings.Read(configuration, environment);

        StorageAccount storage;
        try
        {
            storage = StorageAccount.FromConfiguration(configuration, hooks?.StoragePipelinePolicy);
        }
        catch (StorageSettingException e)
        {
            throw new StartupSettingException(e.Message);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(settings);
        services.AddSingleton(settings.Languages);
        services.AddSingleton(storage);
        services.AddSingleton<StorageHealthProbe>();
        services.AddSingleton<StorageProvisioner>();
        services.AddSingleton<IRosterStore, TableRosterStore>();
        services.AddSecret(Hotline.Privacy.CounsellorPhoneProtector.KeySecret); // the roster's phones, encrypted
        services.AddSingleton<Hotline.Privacy.CounsellorPhoneProtector>();
        services.AddSingleton<StorageStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<StorageStartup>());
        services.AddHotlineSecrets(settings.Secrets, hooks?.ConfigureKeyVaultClient);
        services.AddCallbackSecrets(configuration, settings.Secrets, hooks?.ConfigureKeyVaultClient);

        services.AddConversations(configuration, environment, settings);
        services.AddVoice(configuration);
        services.AddHotlineAuth(settings.Auth);
        services.AddChat(configuration);
        services.AddCallbacks(configuration);
        if (environment.IsDevelopment())
        {
            services.AddTwilioSimulator();
        }

        services.AddHotlineTelemetry(configuration, hooks?.AddTraceExporters);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase);
    }
}

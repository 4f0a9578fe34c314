using Hotline.Functions.Auth;
using Hotline.Functions.Blocks;
using Hotline.Functions.Board;
using Hotline.Functions.Chat;
using Hotline.Functions.Configuration;
using Hotline.Functions.Conversations;
using Hotline.Functions.Dev;
using Hotline.Functions.Escalations;
using Hotline.Functions.Health;
using Hotline.Functions.Hosting;
using Hotline.Functions.Hosting.Local;
using Hotline.Functions.Observability;
using Hotline.Functions.Pages;
using Hotline.Functions.Roster;
using Hotline.Functions.Sms;
using Hotline.Roster;
using Hotline.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Trace;

namespace Hotline.Functions;

/// <summary>Extension points for whoever composes the app (the program itself, tests, benchmarks).</summary>
public sealed class HotlineAppHooks
{
    /// <summary>Runs first: add configuration, services, handlers or logger providers.</summary>
    public Action<WebApplicationBuilder>? ConfigureBuilder { get; init; }

    /// <summary>Adds trace exporters; they run after the redaction processor.</summary>
    public Action<TracerProviderBuilder>? AddTraceExporters { get; init; }

    /// <summary>Added to every storage request pipeline (benchmarks count storage transactions with it).</summary>
    public Azure.Core.Pipeline.HttpPipelinePolicy? StoragePipelinePolicy { get; init; }

    /// <summary>Adjusts the Key Vault client (e.g. its transport).</summary>
    public Action<Azure.Security.KeyVault.Secrets.SecretClientOptions>? ConfigureKeyVaultClient { get; init; }
}

public static class HotlineApp
{
    /// <summary>
    /// Builds the custom handler. Throws <see cref="StartupSettingException"/> (one line naming the setting) when a
    /// required setting is missing or malformed, or a function.json cannot be served.
    /// </summary>
    public static WebApplication Build(string[] args, HotlineAppHooks? hooks = null)
    {
        // The slim builder leaves out what the handler does not use (the Functions host waits for GET / first).
        // Content root is the app's own folder, like Texts/ and Pages/, so appsettings.json (quiet request logging
        // among other defaults) applies whichever folder the process is started from.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        hooks?.ConfigureBuilder?.Invoke(builder);

        var settings = HotlineSettings.Read(builder.Configuration, builder.Environment);
        if (settings.CustomHandlerPort is { } port)
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }

        builder.WebHost.LimitRequestBodies();

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

        services.AddSingleton(new FunctionCatalogAccessor(settings.Functions.Root));
        services.AddSingleton<FunctionRegistry>();
        if (settings.Functions.LocalHostEnabled)
        {
            AddLocalFunctionsHost(services, settings, builder.Configuration);
        }

        services.AddConversations(builder.Configuration, builder.Environment, settings);
        services.AddHotlineAuth(settings.Auth);
        services.AddChat(builder.Configuration);
        if (builder.Environment.IsDevelopment())
        {
            services.AddTwilioSimulator();
        }

        services.AddHotlineTelemetry(builder.Configuration, hooks?.AddTraceExporters);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase);

        // Last: wrap every logger provider registered above (and by the hooks) with redaction.
        services.RedactAllLogProviders();

        var app = builder.Build();
        app.UseForwardedHeaders(); // the client's address, from trusted proxies only (Chat__TrustedProxies)
        // Before authentication, so that its answers are covered too (and a body is capped before anything reads it).
        app.UseHttpHardening();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapFunctionsHostContract();
        app.MapHealth();
        app.MapSignInConfig();
        app.MapRoster();
        app.MapTwilioSms();
        app.MapConversations();
        app.MapBlocks();
        app.MapChat();
        app.MapBoard();
        app.MapEscalations();
        app.MapEscalationLog();
        app.MapPages();
        if (settings.Auth.UsesDevTokens && app.Environment.IsDevelopment())
        {
            app.MapDevTokens();
        }

        if (app.Environment.IsDevelopment())
        {
            app.MapTwilioSimulator();
        }

        return app;
    }

    private static void AddLocalFunctionsHost(IServiceCollection services, HotlineSettings settings, IConfiguration configuration)
    {
        services.AddHttpClient(LocalInvoker.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan);
        services.AddSingleton<LocalInvoker>();
        services.AddSingleton<LocalFunctionsHostState>();
        services.AddSingleton(sp =>
        {
            var catalog = sp.GetRequiredService<FunctionCatalogAccessor>().Catalog;
            return LocalFunctionsPlan.Create(catalog, sp.GetRequiredService<FunctionRegistry>().Names, configuration);
        });
        services.AddHostedService<LocalFunctionsHost>();
    }
}

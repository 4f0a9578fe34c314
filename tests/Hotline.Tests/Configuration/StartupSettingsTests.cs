using System.Diagnostics;
using Hotline.Functions;
using Hotline.Functions.Configuration;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Configuration;

/// <summary>A missing or malformed required setting stops startup with one line that names it.</summary>
public sealed class StartupSettingsTests
{
    [Theory]
    [InlineData("AzureWebJobsStorage", "", "Missing required setting 'AzureWebJobsStorage'")]
    [InlineData("AzureWebJobsStorage", "this is not a connection string", "Setting 'AzureWebJobsStorage' is malformed")]
    [InlineData("Secrets:RefreshInterval", "soon", "Setting 'Secrets__RefreshInterval' is malformed")]
    [InlineData("Secrets:Provider", "Vault", "Setting 'Secrets__Provider' is malformed")]
    [InlineData("Demo:SeedRoster", "yes please", "Setting 'Demo__SeedRoster' is malformed")]
    [InlineData("Sms:Numbers", "+40312345678=klingon", "Setting 'Sms__Numbers' is malformed")]
    [InlineData("Routing:Fallback", "Supervisor,Police", "Setting 'Routing__Fallback' is malformed")]
    [InlineData("Routing:OfferTimeout", "two minutes", "Setting 'Routing__OfferTimeout' is malformed")]
    [InlineData("Storage:TablePrefix", "9lives", "Setting 'Storage__TablePrefix' is malformed")]
    [InlineData("Twilio:ApiBaseUrl", "not a url", "Setting 'Twilio__ApiBaseUrl' is malformed")]
    public void Development_startup_names_the_bad_setting(string key, string value, string expected)
    {
        var e = Assert.Throws<StartupSettingException>(() => Build("Development", new() { [key] = value }));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Production_requires_a_key_vault()
    {
        var e = Assert.Throws<StartupSettingException>(() => Build("Production", new() { ["Secrets:Provider"] = null }));
        Assert.Equal("Missing required setting 'Secrets__VaultUri'.", e.Message);
    }

    [Fact]
    public void Production_refuses_the_local_secrets_file()
    {
        var e = Assert.Throws<StartupSettingException>(() => Build("Production", new() { ["Secrets:Provider"] = "Local" }));
        Assert.Contains("'Secrets__Provider' is Local, which is allowed only in Development", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Production_refuses_a_vault_address_that_is_not_https()
    {
        var e = Assert.Throws<StartupSettingException>(() => Build("Production", new()
        {
            ["Secrets:Provider"] = null,
            ["Secrets:VaultUri"] = "http://myvault.vault.azure.net/",
        }));
        Assert.Equal("Setting 'Secrets__VaultUri' is malformed: expected an absolute https URI.", e.Message);
    }

    [Fact]
    public void Identity_based_storage_needs_no_key_in_Azure()
    {
        using var app = Build("Production", new()
        {
            ["AzureWebJobsStorage"] = null,
            ["AzureWebJobsStorage:accountName"] = "hotlinestore",
            ["Secrets:Provider"] = null,
            ["Secrets:VaultUri"] = "https://hotline-kv.vault.azure.net/",
            ["Callbacks:VaultUri"] = "https://hotline-callbacks-kv.vault.azure.net/",
            ["Auth:Authority"] = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0",
            ["Auth:Audience"] = "api://hotline",
                    ["Hotline:PublicBaseUrl"] = "https://hotline.example.org",
        });
        var storage = app.Services.GetRequiredService<Hotline.Storage.StorageAccount>();
        Assert.Equal(new Uri("https://hotlinestore.queue.core.windows.net/"), storage.Queues.Uri);
        Assert.Equal(new Uri("https://hotlinestore.table.core.windows.net/"), storage.Tables.Uri);
    }

    [Fact]
    public async Task The_real_executable_exits_non_zero_with_one_clear_line_for_a_malformed_setting()
    {
        var (exitCode, stderr) = await RunExecutableAsync(new()
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true", ["Routing__OfferTimeout"] = "two minutes",
        });

        Assert.Equal(2, exitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("Startup failed: ", line, StringComparison.Ordinal);
        Assert.Contains("Routing__OfferTimeout", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_real_executable_names_a_missing_storage_setting()
    {
        var (exitCode, stderr) = await RunExecutableAsync([]);

        Assert.Equal(2, exitCode);
        Assert.Equal(
            "Startup failed: Missing required setting 'AzureWebJobsStorage': set a connection string, or " +
            "'AzureWebJobsStorage__accountName' for a managed-identity connection.",
            stderr.Trim());
    }

    [Fact]
    public void Production_requires_a_sign_in_authority_and_audience()
    {
        var vault = new Dictionary<string, string?> { ["Secrets:Provider"] = null, ["Secrets:VaultUri"] = "https://kv.vault.azure.net/", ["Callbacks:VaultUri"] = "https://callbacks-kv.vault.azure.net/" };
        var e = Assert.Throws<StartupSettingException>(() => Build("Production", vault));
        Assert.StartsWith("Missing required setting 'Auth__Authority'", e.Message, StringComparison.Ordinal);

        vault["Auth:Authority"] = "https://login.microsoftonline.com/t/v2.0";
        e = Assert.Throws<StartupSettingException>(() => Build("Production", vault));
        Assert.StartsWith("Missing required setting 'Auth__Audience'", e.Message, StringComparison.Ordinal);

        vault["Auth:Authority"] = "login.microsoftonline.com";
        e = Assert.Throws<StartupSettingException>(() => Build("Production", vault));
        Assert.Equal("Setting 'Auth__Authority' is malformed: expected an absolute https URI.", e.Message);
    }

    [Fact]
    public void Malformed_language_list_is_refused()
    {
        var e = Assert.Throws<StartupSettingException>(() => Build("Development", new() { ["Languages:Supported"] = "en,Romanian" }));
        Assert.StartsWith("Setting 'Languages__Supported' is malformed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Production_requires_the_public_address_Twilio_calls()
    {
        var e = Assert.Throws<StartupSettingException>(() => Build("Production", new()
        {
            ["Secrets:Provider"] = null,
            ["Secrets:VaultUri"] = "https://kv.vault.azure.net/",
            ["Callbacks:VaultUri"] = "https://hotline-callbacks-kv.vault.azure.net/",
            ["Auth:Authority"] = "https://login.microsoftonline.com/t/v2.0",
            ["Auth:Audience"] = "api://hotline",
        }));
        Assert.StartsWith("Missing required setting 'Hotline__PublicBaseUrl'", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Starts the built worker as a process (Development, no storage setting) and waits for it to exit.</summary>
    private static async Task<(int ExitCode, string Stderr)> RunExecutableAsync(Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Hotline.Functions.dll")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = TestEnvironment.RepoRoot,
        };
        start.Environment["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development";
        start.Environment.Remove("AzureWebJobsStorage");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, stderr);
    }

    private static IHost Build(string environment, Dictionary<string, string?> overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["Secrets:Provider"] = "Local",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return HotlineWorker.Build(new HotlineAppHooks
        {
            ConfigureHost = b => b
                .ConfigureHostConfiguration(c => c.AddInMemoryCollection([new(HostDefaults.EnvironmentKey, environment)]))
                .ConfigureAppConfiguration(c => c.AddInMemoryCollection(settings)),
        });
    }
}

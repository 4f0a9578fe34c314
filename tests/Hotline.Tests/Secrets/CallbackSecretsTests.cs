using Azure.Security.KeyVault.Secrets;
using Hotline.Callbacks;
using Hotline.Functions.Configuration;
using Hotline.Secrets;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Secrets;

/// <summary>
/// Callback requests' secrets in Key Vault, against a loopback HTTPS double of the Key Vault API: stored, read, and
/// destroyed beyond recovery (deleted, then purged).
/// </summary>
public sealed class CallbackSecretsTests : IAsyncLifetime
{
    private const string Number = "+40721555019";
    private const string Digits = "721555019"; // however the number is written or escaped
    private const string CodeWord = "lavender";
    private static readonly CallbackSecrets Secrets = new(Number, CodeWord);
    private static readonly CallbackSecretsTiming FastTiming = new(TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(20));

    private readonly CapturingLoggerProvider _logs = new();
    private readonly RecordingCredential _credential = new();
    private ILoggerFactory _loggers = null!;
    private KeyVaultDouble _vault = null!;
    private KeyVaultCallbackSecrets _store = null!;

    public async Task InitializeAsync()
    {
        _vault = await KeyVaultDouble.StartAsync();
        var options = new SecretClientOptions();
        _vault.Configure(options);
        _loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs));
        _store = new KeyVaultCallbackSecrets(
            new SecretClient(_vault.VaultUri, _credential, options), "Callbacks__VaultUri",
            _loggers.CreateLogger<KeyVaultCallbackSecrets>(), FastTiming);
    }

    public async Task DisposeAsync()
    {
        _loggers.Dispose();
        await _vault.DisposeAsync();
    }

    [Fact]
    public async Task Store_read_and_destroy_make_exactly_the_service_calls_and_leave_nothing_in_the_vault()
    {
        await _store.StoreAsync("r1", Secrets);
        Assert.Equal(Secrets, await _store.ReadAsync("r1"));
        await _store.DestroyAsync("r1");

        Assert.Null(await _store.ReadAsync("r1"));
        Assert.Equal(
            [
                "PUT /secrets/callback-r1",
                "GET /secrets/callback-r1",
                "DELETE /secrets/callback-r1",
                "GET /deletedsecrets/callback-r1",
                "DELETE /deletedsecrets/callback-r1",
                "GET /secrets/callback-r1",
            ],
            _vault.Calls);
        AssertNothingLeft("callback-r1");
    }

    [Fact]
    public async Task The_secret_is_one_small_JSON_value_per_request()
    {
        await _store.StoreAsync("r1", Secrets);
        await _store.StoreAsync("r2", new CallbackSecrets("+40721555020", null));

        Assert.True(_vault.HasLive("callback-r1") && _vault.HasLive("callback-r2"));
        Assert.Contains("""{"phoneNumber":"+40721555019","codeWord":"lavender"}""", _vault.AllValues());
        Assert.Equal(new CallbackSecrets("+40721555020", null), await _store.ReadAsync("r2"));
    }

    [Fact]
    public async Task Reading_is_never_served_from_memory()
    {
        await _store.StoreAsync("r1", Secrets);
        await _store.ReadAsync("r1");
        await _store.ReadAsync("r1");

        Assert.Equal(2, _vault.Calls.Count(c => c == "GET /secrets/callback-r1"));
    }

    [Fact]
    public async Task Destroying_waits_for_a_deletion_in_progress_then_purges()
    {
        _vault.DeletionPolls = 2; // the deleted secret shows on the third look
        _vault.PurgeConflicts = 2; // and the first two purges meet 409
        await _store.StoreAsync("r1", Secrets);

        await _store.DestroyAsync("r1");

        Assert.Equal(3, _vault.Calls.Count(c => c == "GET /deletedsecrets/callback-r1"));
        Assert.Equal(3, _vault.Calls.Count(c => c == "DELETE /deletedsecrets/callback-r1"));
        AssertNothingLeft("callback-r1");
    }

    [Fact]
    public async Task Destroying_twice_or_what_was_never_stored_is_harmless()
    {
        await _store.StoreAsync("r1", Secrets);
        await _store.DestroyAsync("r1");
        await _store.DestroyAsync("r1");
        await _store.DestroyAsync("never-stored");

        AssertNothingLeft("callback-r1");
    }

    [Fact]
    public async Task A_refused_purge_is_a_clear_error_naming_the_vault_setting_and_destroying_again_finishes_the_job()
    {
        _vault.PurgeProtection = true;
        await _store.StoreAsync("r1", Secrets);

        var e = await Assert.ThrowsAsync<CallbackSecretsException>(() => _store.DestroyAsync("r1"));
        Assert.Contains("Callbacks__VaultUri", e.Message, StringComparison.Ordinal);
        Assert.Contains("purge protection", e.Message, StringComparison.Ordinal);
        Assert.True(_vault.HasDeleted("callback-r1"), "the deleted secret is still recoverable: that must not pass silently");

        _vault.PurgeProtection = false;
        await _store.DestroyAsync("r1"); // already deleted: the purge alone is left
        AssertNothingLeft("callback-r1");
    }

    [Fact]
    public async Task A_deletion_that_never_settles_ends_in_a_clear_error_not_an_endless_wait()
    {
        var options = new SecretClientOptions();
        _vault.Configure(options);
        var impatient = new KeyVaultCallbackSecrets(
            new SecretClient(_vault.VaultUri, _credential, options), "Callbacks__VaultUri",
            _loggers.CreateLogger<KeyVaultCallbackSecrets>(),
            new CallbackSecretsTiming(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(500)));
        _vault.PurgeConflicts = int.MaxValue;
        await impatient.StoreAsync("r1", Secrets);

        var e = await Assert.ThrowsAsync<CallbackSecretsException>(() => impatient.DestroyAsync("r1").WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains("were not purged", e.Message, StringComparison.Ordinal);
        Assert.Contains("Callbacks__VaultUri", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Neither_the_number_nor_the_code_word_is_ever_logged()
    {
        await _store.StoreAsync("r1", Secrets);
        await _store.ReadAsync("r1");
        await _store.DestroyAsync("r1");
        _vault.PurgeProtection = true;
        await _store.StoreAsync("r2", Secrets);
        await Assert.ThrowsAsync<CallbackSecretsException>(() => _store.DestroyAsync("r2"));

        Assert.Contains("r1", _logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Digits, _logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(CodeWord, _logs.AllText, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("a_b")]
    [InlineData("a/b")]
    [InlineData("")]
    public async Task A_request_id_Key_Vault_cannot_name_a_secret_after_is_refused_before_any_call(string requestId)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.StoreAsync(requestId, Secrets));
        Assert.Empty(_vault.Calls);
    }

    [Fact]
    public async Task With_Key_Vault_the_app_registers_the_callbacks_vault_with_its_own_credential_and_client_options()
    {
        var services = new ServiceCollection().AddLogging().AddSingleton<Azure.Core.TokenCredential>(_credential);
        services.AddCallbackSecrets(
            Configuration(new() { ["Callbacks:VaultUri"] = _vault.VaultUri.ToString() }),
            KeyVaultSettings("https://hotline-keys.vault.azure.net/"),
            _vault.Configure);
        using var provider = services.BuildServiceProvider();

        var secrets = provider.GetRequiredService<ICallbackSecrets>();
        Assert.IsType<KeyVaultCallbackSecrets>(secrets);
        await secrets.StoreAsync("r1", Secrets);
        Assert.True(_vault.HasLive("callback-r1"));
    }

    [Theory]
    [InlineData(null, "Missing required setting 'Callbacks__VaultUri'")]
    [InlineData("not a uri", "Setting 'Callbacks__VaultUri' is malformed")]
    [InlineData("http://callbacks.vault.azure.net/", "Setting 'Callbacks__VaultUri' is malformed")]
    [InlineData("https://hotline-keys.vault.azure.net/", "Setting 'Callbacks__VaultUri' names the same vault as 'Secrets__VaultUri'")]
    public void With_Key_Vault_a_missing_malformed_or_shared_callbacks_vault_stops_startup_naming_the_setting(string? value, string expected)
    {
        var e = Assert.Throws<StartupSettingException>(() => new ServiceCollection().AddCallbackSecrets(
            Configuration(new() { ["Callbacks:VaultUri"] = value }),
            KeyVaultSettings("https://hotline-keys.vault.azure.net/")));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Locally_the_secrets_go_to_a_file_next_to_the_local_secrets_file_and_no_vault_is_needed()
    {
        var local = Path.Combine(Path.GetTempPath(), "hotline-x", "dev-secrets.json");
        var services = new ServiceCollection().AddCallbackSecrets(
            Configuration(new()), new SecretsSettings(SecretsProvider.Local, null, TimeSpan.FromMinutes(5), local));
        using var provider = services.BuildServiceProvider();

        var store = Assert.IsType<LocalFileCallbackSecrets>(provider.GetRequiredService<ICallbackSecrets>());
        Assert.Equal(Path.Combine(Path.GetTempPath(), "hotline-x", "dev-callbacks.json"), store.FilePath);
    }

    private void AssertNothingLeft(string name)
    {
        Assert.False(_vault.HasLive(name), "a live secret is left");
        Assert.False(_vault.HasDeleted(name), "a deleted (recoverable) secret is left");
        Assert.DoesNotContain(_vault.AllValues(), v => v.Contains(Digits, StringComparison.Ordinal));
    }

    private static SecretsSettings KeyVaultSettings(string vault) =>
        new(SecretsProvider.KeyVault, new Uri(vault), TimeSpan.FromMinutes(5), ".secrets/dev-secrets.json");

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}

/// <summary>The local file of callback requests' secrets.</summary>
public sealed class LocalFileCallbackSecretsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hotline-callbacks-").FullName;

    private string FilePath => Path.Combine(_dir, "nested", "dev-callbacks.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Destroying_rewrites_the_file_without_any_trace_of_the_number_and_keeps_the_others()
    {
        var store = new LocalFileCallbackSecrets(FilePath);
        await store.StoreAsync("r1", new CallbackSecrets("+40721555019", "lavender"));
        await store.StoreAsync("r2", new CallbackSecrets("+40721555020", "willow"));
        Assert.Contains("721555019", await File.ReadAllTextAsync(FilePath), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(FilePath));

        await store.DestroyAsync("r1");
        await store.DestroyAsync("r1"); // twice: harmless

        var text = await File.ReadAllTextAsync(FilePath);
        Assert.DoesNotContain("721555019", text, StringComparison.Ordinal);
        Assert.DoesNotContain("lavender", text, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(FilePath)!)); // no temporary copy left behind
        Assert.Null(await store.ReadAsync("r1"));
        Assert.Equal(new CallbackSecrets("+40721555020", "willow"), await new LocalFileCallbackSecrets(FilePath).ReadAsync("r2"));
    }

    [Fact]
    public async Task Reads_come_from_the_file_each_time()
    {
        var store = new LocalFileCallbackSecrets(FilePath);
        await store.StoreAsync("r1", new CallbackSecrets("+40721555019", null));

        await new LocalFileCallbackSecrets(FilePath).DestroyAsync("r1"); // another process, say

        Assert.Null(await store.ReadAsync("r1"));
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using Azure.Security.KeyVault.Secrets;
using Hotline.Secrets;
using Hotline.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Hotline.Tests.Secrets;

/// <summary>The Key Vault adapter against a loopback HTTPS double of the Key Vault API.</summary>
public sealed class KeyVaultSecretStoreTests : IAsyncLifetime
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(5);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly RecordingCredential _credential = new();
    private KeyVaultDouble _vault = null!;
    private KeyVaultSecretStore _store = null!;

    public async Task InitializeAsync()
    {
        _vault = await KeyVaultDouble.StartAsync();
        var options = new SecretClientOptions();
        _vault.Configure(options);
        _store = new KeyVaultSecretStore(
            new SecretClient(_vault.VaultUri, _credential, options), RefreshInterval, _clock,
            NullLogger<KeyVaultSecretStore>.Instance);
    }

    public async Task DisposeAsync() => await _vault.DisposeAsync();

    [Fact]
    public async Task Answers_the_bearer_challenge_with_a_token_for_the_vault_and_gets_the_latest_version()
    {
        _vault.SetSecret("CallerPseudonymKey", "first");
        _vault.SetSecret("CallerPseudonymKey", "second");

        Assert.Equal("second", await _store.GetAsync("CallerPseudonymKey"));
        Assert.True(_vault.UnauthenticatedRequests >= 1, "the first request goes without a token and is challenged");
        Assert.Contains("https://vault.azure.net/.default", _credential.Scopes);
    }

    [Fact]
    public async Task A_missing_secret_is_SecretNotFoundException_naming_it()
    {
        var e = await Assert.ThrowsAsync<SecretNotFoundException>(async () => await _store.GetAsync("NoSuchSecret"));
        Assert.Equal("NoSuchSecret", e.SecretName);
    }

    [Fact]
    public async Task Values_are_cached_until_the_interval_passes_then_a_rotated_value_is_picked_up()
    {
        _vault.SetSecret("Twilio-AuthToken", "old-token");
        Assert.Equal("old-token", await _store.GetAsync("Twilio-AuthToken"));

        _vault.SetSecret("Twilio-AuthToken", "rotated-token");
        _clock.Advance(RefreshInterval - TimeSpan.FromSeconds(1));
        Assert.Equal("old-token", await _store.GetAsync("Twilio-AuthToken"));
        Assert.Single(_vault.Requests, r => r == "Twilio-AuthToken"); // served from cache, no second call

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("rotated-token", await _store.GetAsync("Twilio-AuthToken"));
        Assert.Equal(2, _vault.Requests.Count(r => r == "Twilio-AuthToken"));
    }

    [Fact]
    public async Task A_burst_after_expiry_makes_one_vault_call()
    {
        _vault.SetSecret("ReplyAddressKey", "k1");
        await _store.GetAsync("ReplyAddressKey");
        _clock.Advance(RefreshInterval);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => _store.GetAsync("ReplyAddressKey").AsTask()));

        Assert.Equal(2, _vault.Requests.Count(r => r == "ReplyAddressKey"));
    }

    [Fact]
    public async Task When_the_vault_fails_after_expiry_the_cached_value_keeps_the_hotline_working()
    {
        _vault.SetSecret("ReplyAddressKey", "cached");
        await _store.GetAsync("ReplyAddressKey");
        _vault.Failing = true;
        _clock.Advance(RefreshInterval * 2);

        Assert.Equal("cached", await _store.GetAsync("ReplyAddressKey"));
    }

    [Fact]
    public async Task Probe_makes_a_real_authenticated_round_trip_and_fails_when_the_vault_does()
    {
        await _store.ProbeAsync();
        _vault.Failing = true;
        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => _store.ProbeAsync());
    }

    [Fact]
    public async Task The_app_uses_Key_Vault_when_configured_and_health_reports_it_reachable()
    {
        await using var app = await RunningApp.StartAsync(
            new Dictionary<string, string?>
            {
                ["Secrets:Provider"] = "KeyVault",
                ["Secrets:VaultUri"] = _vault.VaultUri.ToString(),
                ["Callbacks:VaultUri"] = "https://hotline-callbacks-kv.vault.azure.net/",
            },
            b => b.Services.AddSingleton<Azure.Core.TokenCredential>(_credential),
            configureKeyVault: _vault.Configure);
        Assert.IsType<KeyVaultSecretStore>(app.Services.GetRequiredService<ISecretStore>());

        var health = await app.Http.GetFromJsonAsync<JsonElement>(new Uri("/api/health", UriKind.Relative));
        Assert.Equal("reachable", health.GetProperty("checks").GetProperty("secrets").GetProperty("status").GetString());

        _vault.Failing = true;
        var failing = await app.Http.GetAsync(new Uri("/api/health", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, failing.StatusCode);
        var report = await failing.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unreachable", report.GetProperty("checks").GetProperty("secrets").GetProperty("status").GetString());
        Assert.Equal("reachable", report.GetProperty("checks").GetProperty("tables").GetProperty("status").GetString());
    }
}

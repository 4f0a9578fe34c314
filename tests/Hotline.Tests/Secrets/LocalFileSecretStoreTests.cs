using System.Text.Json;
using Hotline.Secrets;

namespace Hotline.Tests.Secrets;

public sealed class LocalFileSecretStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hotline-secrets-").FullName;
    private readonly SecretDefinition[] _definitions =
    [
        new("CallerPseudonymKey", GeneratedBytes: 32),
        new("Twilio-AuthToken", OverrideSetting: "Twilio:AuthToken"),
    ];

    private string FilePath => Path.Combine(_dir, "nested", "dev-secrets.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Generates_a_random_key_on_first_use_into_a_file_only_the_user_can_read_and_keeps_it()
    {
        var first = await Store().GetAsync("CallerPseudonymKey");

        Assert.Equal(32, Convert.FromBase64String(first).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(FilePath));
        Assert.Equal(first, await Store().GetAsync("CallerPseudonymKey")); // a new process reads the same key
        Assert.NotEqual(first, await new LocalFileSecretStore(Path.Combine(_dir, "other.json"), Config(), _definitions)
            .GetAsync("CallerPseudonymKey"));
    }

    [Fact]
    public async Task A_configuration_value_overrides_the_file()
    {
        var store = Store(new Dictionary<string, string?> { ["Twilio:AuthToken"] = "from-environment" });
        Assert.Equal("from-environment", await store.GetAsync("Twilio-AuthToken"));
    }

    [Fact]
    public async Task A_secret_that_is_neither_generated_nor_set_is_not_found()
    {
        var e = await Assert.ThrowsAsync<SecretNotFoundException>(async () => await Store().GetAsync("Twilio-AuthToken"));
        Assert.Equal("Twilio-AuthToken", e.SecretName);
        Assert.False(File.Exists(FilePath));
    }

    [Fact]
    public async Task A_value_written_into_the_file_is_used()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        await File.WriteAllTextAsync(FilePath, JsonSerializer.Serialize(new Dictionary<string, string> { ["Twilio-AuthToken"] = "from-file" }));
        Assert.Equal("from-file", await Store().GetAsync("Twilio-AuthToken"));
    }

    [Fact]
    public async Task A_secret_added_to_the_file_after_it_was_read_is_seen_by_the_next_read()
    {
        var store = Store();
        var generated = await store.GetAsync("CallerPseudonymKey"); // loads the file (and writes it)
        await Assert.ThrowsAsync<SecretNotFoundException>(async () => await store.GetAsync("Partner-la-strada-WebhookSecret"));

        // A developer adds a partner's secret by hand while the app runs.
        var values = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(FilePath))!;
        values["Partner-la-strada-WebhookSecret"] = "whsec_added-by-hand";
        await File.WriteAllTextAsync(FilePath, JsonSerializer.Serialize(values));

        Assert.Equal("whsec_added-by-hand", await store.GetAsync("Partner-la-strada-WebhookSecret"));
        Assert.Equal(generated, await store.GetAsync("CallerPseudonymKey"));
    }

    [Fact]
    public async Task A_file_caught_half_way_through_an_edit_keeps_the_values_read_last_and_the_probe_reports_it()
    {
        var store = Store();
        var generated = await store.GetAsync("CallerPseudonymKey");

        await File.WriteAllTextAsync(FilePath, "{\"CallerPseudonymKey\": \"");

        Assert.Equal(generated, await store.GetAsync("CallerPseudonymKey"));
        await Assert.ThrowsAnyAsync<Exception>(() => store.ProbeAsync());
        Assert.Equal(generated, await store.GetAsync("CallerPseudonymKey"));
    }

    [Fact]
    public async Task Probe_fails_when_the_file_is_unreadable()
    {
        Directory.CreateDirectory(FilePath); // a folder where the file should be
        await Assert.ThrowsAnyAsync<Exception>(() => Store().ProbeAsync());
    }

    private LocalFileSecretStore Store(Dictionary<string, string?>? settings = null) =>
        new(FilePath, Config(settings), _definitions);

    private static IConfiguration Config(Dictionary<string, string?>? settings = null) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build();
}

using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Hotline.Secrets;

/// <summary>
/// Secrets for local development: a JSON file (git-ignored) created on first run with random values for every
/// generated secret, so keys stay stable across restarts. A configuration value (usually an environment variable)
/// named by the secret's <see cref="SecretDefinition.OverrideSetting"/> wins over the file.
/// The file is re-read when its time or length changes (one stat per read), so a secret added by hand while the app
/// runs, such as a partner's webhook secret, is used at once.
/// Never used in Azure: startup refuses the local provider outside Development.
/// </summary>
public sealed class LocalFileSecretStore : ISecretStore
{
    private readonly string _path;
    private readonly IConfiguration _configuration;
    private readonly IReadOnlyDictionary<string, SecretDefinition> _definitions;
    private readonly Lock _gate = new();
    private Dictionary<string, string>? _values;
    private (DateTime WrittenAt, long Length)? _loadedStamp;

    public LocalFileSecretStore(string path, IConfiguration configuration, IEnumerable<SecretDefinition> definitions)
    {
        _path = Path.GetFullPath(path);
        _configuration = configuration;
        _definitions = definitions.ToDictionary(d => d.Name, StringComparer.OrdinalIgnoreCase);
    }

    public string FilePath => _path;

    public ValueTask<string> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        _definitions.TryGetValue(name, out var definition);
        var overridden = definition?.OverrideSetting is { } setting ? _configuration[setting] : null;
        if (!string.IsNullOrEmpty(overridden))
        {
            return ValueTask.FromResult(overridden);
        }

        lock (_gate)
        {
            var values = Load();
            if (values.TryGetValue(name, out var value))
            {
                return ValueTask.FromResult(value);
            }

            if (definition is not { IsGenerated: true })
            {
                throw new SecretNotFoundException(name);
            }

            value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(definition.GeneratedBytes));
            values[name] = value;
            Save(values);
            return ValueTask.FromResult(value);
        }
    }

    public Task ProbeAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Load(strict: true); // re-read: proves the file is still readable
        }

        return Task.CompletedTask;
    }

    /// <summary>Creates the file with every generated secret, so the first run writes it once.</summary>
    public void EnsureGenerated()
    {
        foreach (var definition in _definitions.Values.Where(d => d.IsGenerated))
        {
            _ = GetAsync(definition.Name).AsTask().GetAwaiter().GetResult();
        }
    }

    private Dictionary<string, string> Load(bool strict = false)
    {
        var stamp = Stamp();
        if (_values is not null && stamp == _loadedStamp && !strict)
        {
            return _values;
        }

        if (Directory.Exists(_path))
        {
            throw new IOException($"The local secrets file '{_path}' is a folder.");
        }

        Dictionary<string, string> read;
        try
        {
            read = stamp is null
                ? []
                : JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(_path)) ?? [];
        }
        catch (Exception e) when (!strict && _values is not null && e is JsonException or IOException)
        {
            // Caught half-way through an edit: keep the values read last and try again on the next read.
            // The health probe re-reads strictly, so a file that stays broken is reported.
            return _values;
        }

        _values = new Dictionary<string, string>(read, StringComparer.OrdinalIgnoreCase);
        _loadedStamp = stamp;
        return _values;
    }

    private (DateTime WrittenAt, long Length)? Stamp()
    {
        var file = new FileInfo(_path);
        return file.Exists ? (file.LastWriteTimeUtc, file.Length) : null;
    }

    private void Save(Dictionary<string, string> values)
    {
        PrivateJsonFile.Write(_path, values, JsonOptions); // readable by the developer only: real keys, if only for local use
        _loadedStamp = Stamp();
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
}

using System.Text.Json;
using Hotline.Callbacks;

namespace Hotline.Secrets;

/// <summary>
/// The secrets of callback requests for local development: one JSON file (git-ignored, readable by its owner only)
/// next to the local secrets file, keyed by request id. The file is read on every call (nothing kept in memory), and
/// destroying a request's secrets rewrites the file without them, atomically (a new file moved over the old one).
/// Never used in Azure: startup refuses the local provider outside Development.
/// </summary>
public sealed class LocalFileCallbackSecrets(string path) : ICallbackSecrets
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
    private readonly string _path = Path.GetFullPath(path);
    private readonly Lock _gate = new();

    public string FilePath => _path;

    public Task StoreAsync(string requestId, CallbackSecrets secrets, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        lock (_gate)
        {
            var all = Load();
            all[requestId] = secrets;
            Save(all);
        }

        return Task.CompletedTask;
    }

    public Task<CallbackSecrets?> ReadAsync(string requestId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(Load().GetValueOrDefault(requestId));
        }
    }

    public Task DestroyAsync(string requestId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var all = Load();
            if (all.Remove(requestId))
            {
                Save(all);
            }
        }

        return Task.CompletedTask;
    }

    private Dictionary<string, CallbackSecrets> Load() =>
        File.Exists(_path)
            ? JsonSerializer.Deserialize<Dictionary<string, CallbackSecrets>>(File.ReadAllText(_path), JsonOptions) ?? []
            : [];

    // Readable by the developer only: whatever numbers are typed in while testing.
    private void Save(Dictionary<string, CallbackSecrets> all) => PrivateJsonFile.Write(_path, all, JsonOptions);
}

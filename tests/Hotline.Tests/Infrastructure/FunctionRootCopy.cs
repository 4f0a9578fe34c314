using System.Globalization;
using System.Text.Json.Nodes;

namespace Hotline.Tests.Infrastructure;

/// <summary>
/// A private copy of the product's <c>host.json</c> with other queue trigger settings: the same functions, driven by
/// the local Functions host with shorter waits (pass <see cref="Path"/> as <c>Functions:Root</c>, which
/// <see cref="RunningApp"/> gives the host as its script root). Deleted on dispose.
/// </summary>
public sealed class FunctionRootCopy : IDisposable
{
    private FunctionRootCopy(string path) => Path = path;

    public string Path { get; }

    public static FunctionRootCopy WithQueueSettings(int? maxDequeueCount = null, TimeSpan? visibilityTimeout = null)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"hotline-functions-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);

        var host = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(TestEnvironment.RepoRoot, "host.json")))!.AsObject();
        var queues = host["extensions"]!["queues"]!.AsObject();
        if (maxDequeueCount is { } count)
        {
            queues["maxDequeueCount"] = count;
        }

        if (visibilityTimeout is { } timeout)
        {
            queues["visibilityTimeout"] = timeout.ToString("c", CultureInfo.InvariantCulture);
        }

        File.WriteAllText(System.IO.Path.Combine(path, "host.json"), host.ToJsonString());
        return new FunctionRootCopy(path);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}

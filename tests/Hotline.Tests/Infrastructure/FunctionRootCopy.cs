using System.Globalization;
using System.Text.Json.Nodes;

namespace Hotline.Tests.Infrastructure;

/// <summary>
/// A private copy of the product's <c>host.json</c> and function folders, with other queue trigger settings: the
/// same functions and bindings, driven by the local Functions host with shorter waits (pass <see cref="Path"/> as
/// <c>Functions:Root</c>). Deleted on dispose.
/// </summary>
public sealed class FunctionRootCopy : IDisposable
{
    private FunctionRootCopy(string path) => Path = path;

    public string Path { get; }

    public static FunctionRootCopy WithQueueSettings(int? maxDequeueCount = null, TimeSpan? visibilityTimeout = null)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"hotline-functions-{Guid.NewGuid():N}");
        CopyDirectory(System.IO.Path.Combine(TestEnvironment.RepoRoot, "functions"), System.IO.Path.Combine(path, "functions"));

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

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, System.IO.Path.Combine(to, System.IO.Path.GetFileName(file)));
        }

        foreach (var dir in Directory.EnumerateDirectories(from))
        {
            CopyDirectory(dir, System.IO.Path.Combine(to, System.IO.Path.GetFileName(dir)));
        }
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

using System.Text.Json;

namespace Hotline.Secrets;

/// <summary>Writes a local secrets file readable by its owner only, whole or not at all (a temporary file moved over it).</summary>
internal static class PrivateJsonFile
{
    public static void Write<T>(string path, T value, JsonSerializerOptions options)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        var file = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, file))
        {
            JsonSerializer.Serialize(stream, value, options);
        }

        File.Move(temp, path, overwrite: true);
    }
}

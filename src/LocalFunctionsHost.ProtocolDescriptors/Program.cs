using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;

// Usage: <output.pb> <csharp namespace> <file list output>
// The worker's gRPC message types are internal to Microsoft.Azure.Functions.Worker.Grpc, but their generated
// *Reflection classes expose the protocol's file descriptors. Writing those (and their imports) as a
// FileDescriptorSet lets protoc generate public types that always match the pinned worker version, without a copy
// of the .proto files. Only the C# namespace is changed; package and message names stay as on the wire.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: LocalFunctionsHost.ProtocolDescriptors <output.pb> <namespace> <files.txt>");
    return 2;
}

var assembly = Assembly.Load("Microsoft.Azure.Functions.Worker.Grpc");
var ordered = new List<FileDescriptor>();
var seen = new HashSet<string>(StringComparer.Ordinal);

void Add(FileDescriptor file)
{
    if (!seen.Add(file.Name))
    {
        return;
    }

    foreach (var dependency in file.Dependencies)
    {
        Add(dependency); // imports first, as protoc expects
    }

    ordered.Add(file);
}

foreach (var type in assembly.GetTypes().Where(t => t.Name.EndsWith("Reflection", StringComparison.Ordinal)))
{
    if (type.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is FileDescriptor file)
    {
        Add(file);
    }
}

if (!ordered.Any(f => f.Services.Any(s => s.Name == "FunctionRpc")))
{
    Console.Error.WriteLine($"{assembly.GetName()} holds no FunctionRpc service descriptor.");
    return 1;
}

var set = new FileDescriptorSet();
var ownFiles = new List<string>();
foreach (var file in ordered)
{
    var proto = FileDescriptorProto.Parser.ParseFrom(file.SerializedData);
    if (!proto.Name.StartsWith("google/", StringComparison.Ordinal))
    {
        proto.Options ??= new Google.Protobuf.Reflection.FileOptions();
        proto.Options.CsharpNamespace = args[1];
        ownFiles.Add(proto.Name);
    }

    set.File.Add(proto);
}

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[0]))!);
File.WriteAllBytes(args[0], set.ToByteArray());
File.WriteAllLines(args[2], ownFiles);
Console.WriteLine($"{ownFiles.Count} protocol file(s) from {assembly.GetName().Name} {assembly.GetName().Version}: {string.Join(", ", ownFiles)}");
return 0;

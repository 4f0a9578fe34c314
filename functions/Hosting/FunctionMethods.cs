using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Hosting;

/// <summary>
/// The method behind each function, found from its entry point, so that worker middleware can read what a function
/// or its class declares (who may call it, its body limit, its rate limit) once, instead of each function body.
/// </summary>
public static class FunctionMethods
{
    private static readonly ConcurrentDictionary<string, MethodInfo?> Methods = new(StringComparer.Ordinal);

    /// <summary>Every <c>[Function]</c> method of the app, by function name.</summary>
    public static IReadOnlyDictionary<string, MethodInfo> All => AllMethods.Value;

    private static readonly Lazy<IReadOnlyDictionary<string, MethodInfo>> AllMethods = new(() => typeof(FunctionMethods).Assembly.GetTypes()
        .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
        .Where(m => m.GetCustomAttribute<FunctionAttribute>() is not null)
        .ToDictionary(m => m.GetCustomAttribute<FunctionAttribute>()!.Name, StringComparer.Ordinal));

    /// <summary>The function's method, from its entry point (<c>Namespace.Class.Method</c>), without scanning the app.</summary>
    public static MethodInfo? Of(FunctionContext context) =>
        Methods.GetOrAdd(context.FunctionDefinition.EntryPoint, entryPoint =>
        {
            var dot = entryPoint.LastIndexOf('.');
            var type = dot > 0 ? typeof(FunctionMethods).Assembly.GetType(entryPoint[..dot]) : null;
            return type?.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .SingleOrDefault(m => m.Name == entryPoint[(dot + 1)..] && m.GetCustomAttribute<FunctionAttribute>()?.Name == context.FunctionDefinition.Name);
        });

    private static readonly ConcurrentDictionary<(MethodInfo, Type), Attribute[]> DeclaredAttributes = new();

    /// <summary>The attributes of a kind the function declares on its method, then on its class (read once per function).</summary>
    public static IEnumerable<T> Declared<T>(MethodInfo method) where T : Attribute =>
        DeclaredAttributes.GetOrAdd((method, typeof(T)), static key =>
            [.. key.Item1.GetCustomAttributes<T>(inherit: true), .. key.Item1.DeclaringType?.GetCustomAttributes<T>(inherit: true) ?? []]).Cast<T>();

    public static T? Find<T>(FunctionContext context) where T : Attribute =>
        Of(context) is { } method ? Declared<T>(method).FirstOrDefault() : null;
}

namespace Hotline.Functions.Hosting;

/// <summary>The non-HTTP function handlers this app serves, by function name (case-insensitive, as in Azure).</summary>
public sealed class FunctionRegistry(IEnumerable<IFunctionHandler> handlers, FunctionCatalogAccessor catalog)
{
    private readonly Dictionary<string, IFunctionHandler> _byName = BuildIndex(handlers);

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public IFunctionHandler? Find(string name) => _byName.GetValueOrDefault(name);

    public string? TriggerBindingOf(string name) => catalog.Catalog.Find(name)?.Trigger?.Name;

    private static Dictionary<string, IFunctionHandler> BuildIndex(IEnumerable<IFunctionHandler> handlers)
    {
        var index = new Dictionary<string, IFunctionHandler>(StringComparer.OrdinalIgnoreCase);
        foreach (var handler in handlers)
        {
            if (!index.TryAdd(handler.Name, handler))
            {
                throw new InvalidOperationException($"Two handlers claim the function name '{handler.Name}'.");
            }
        }

        return index;
    }
}

/// <summary>Loads host.json and the function.json files once, on first use, so they cost nothing at cold start.</summary>
public sealed class FunctionCatalogAccessor(string root)
{
    private readonly Lazy<FunctionCatalog> _catalog = new(() => FunctionCatalog.Load(root));

    public FunctionCatalog Catalog => _catalog.Value;
}

/// <summary>Endpoint metadata naming the function (its folder under functions/) an HTTP endpoint implements.</summary>
public sealed record FunctionEndpointMetadata(string FunctionName);

public static class FunctionEndpointExtensions
{
    /// <summary>
    /// Marks endpoints as the HTTP function <paramref name="functionName"/>. In Azure only routes that a
    /// function.json declares reach the app, so every /api endpoint must carry this (a test enforces it).
    /// </summary>
    public static TBuilder AsFunction<TBuilder>(this TBuilder builder, string functionName)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new FunctionEndpointMetadata(functionName));
}

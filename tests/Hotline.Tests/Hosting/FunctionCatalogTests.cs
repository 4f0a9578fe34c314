using System.Text.Json.Nodes;
using Hotline.Functions.Hosting;
using Hotline.Messaging;
using Hotline.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;

namespace Hotline.Tests.Hosting;

/// <summary>
/// The product's functions/ folder and the app agree: what Azure would route or trigger is what the app serves.
/// </summary>
public sealed class FunctionCatalogTests : IAsyncLifetime
{
    private RunningApp _app = null!;
    private FunctionCatalog _catalog = null!;

    public async Task InitializeAsync()
    {
        _app = await RunningApp.StartAsync(needsStorage: false);
        _catalog = FunctionCatalog.Load(TestEnvironment.RepoRoot);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public void Every_non_http_function_json_has_a_handler_and_every_handler_has_a_function_json()
    {
        var handlers = _app.Services.GetRequiredService<FunctionRegistry>().Names.Order().ToList();
        var declared = _catalog.Functions.Where(f => !f.IsHttp).Select(f => f.Name).Order().ToList();
        Assert.Equal(declared, handlers);
    }

    [Fact]
    public void Every_http_function_json_matches_an_endpoint_and_every_public_endpoint_has_a_function_json()
    {
        var endpoints = _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        // The public surface: the API and the pages. The rest is the host's invocation contract (GET /, POST
        // /{function}) and the Development-only simulator, which Azure never routes to.
        var publicEndpoints = endpoints
            .Where(e => IsPublic(e.RoutePattern.RawText!.TrimStart('/')))
            .ToList();
        Assert.NotEmpty(publicEndpoints);

        // In Azure only routes declared in a function.json reach the app: a public endpoint without one is dead.
        foreach (var endpoint in publicEndpoints)
        {
            var name = endpoint.Metadata.GetMetadata<FunctionEndpointMetadata>()?.FunctionName;
            Assert.True(name is not null, $"{endpoint.RoutePattern.RawText} is not marked with AsFunction(...)");
            var function = _catalog.Find(name!);
            Assert.True(function is { IsHttp: true }, $"{endpoint.RoutePattern.RawText}: no http function.json named {name}");

            var trigger = function!.Trigger!;
            Assert.Equal(
                string.IsNullOrEmpty(_catalog.Host.RoutePrefix) ? trigger.Route : $"{_catalog.Host.RoutePrefix}/{trigger.Route}",
                endpoint.RoutePattern.RawText!.Trim('/')); // routing ignores a trailing slash
            var methods = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? [];
            Assert.All(methods, m => Assert.Contains(m, trigger.Methods));
        }

        foreach (var function in _catalog.Functions.Where(f => f.IsHttp))
        {
            Assert.Contains(publicEndpoints, e => e.Metadata.GetMetadata<FunctionEndpointMetadata>()?.FunctionName == function.Name);
        }
    }

    private static bool IsPublic(string route) =>
        new[] { "api/", "chat", "console", "supervisor", "partner" }.Any(p => route.StartsWith(p, StringComparison.Ordinal));

    [Fact]
    public void Every_queue_a_binding_names_is_a_queue_the_code_uses_and_every_such_queue_is_read()
    {
        var bound = _catalog.Functions
            .SelectMany(f => f.Bindings)
            .Where(b => b.QueueName is not null)
            .Select(b => b.QueueName!)
            .ToHashSet();

        Assert.All(bound, q => Assert.Contains(q, QueueNames.All));
        Assert.All(QueueNames.All, q => Assert.Contains(q, bound));
    }

    [Fact]
    public void Functions_use_no_output_bindings_besides_the_http_response()
    {
        // The host base64-decodes string outputs of non-binary bindings; the app writes queues with the SDK instead.
        var outputs = _catalog.Functions.SelectMany(f => f.Bindings.Where(b => b.Direction == "out").Select(b => (f.Name, b.Type)));
        Assert.All(outputs, o => Assert.Equal("http", o.Type));
    }

    [Fact]
    public void Host_json_declares_the_custom_handler_the_extension_bundle_and_queue_settings()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "host.json")))!;

        Assert.Equal("Hotline.Functions", (string?)host["customHandler"]!["description"]!["defaultExecutablePath"]);
        Assert.True((bool?)host["customHandler"]!["enableProxyingHttpRequest"]);
        Assert.Equal("Microsoft.Azure.Functions.ExtensionBundle", (string?)host["extensionBundle"]!["id"]);
        Assert.Equal("[4.*, 5.0.0)", (string?)host["extensionBundle"]!["version"]);

        var queues = _catalog.Host.Queues;
        Assert.Equal(TimeSpan.FromSeconds(2), queues.MaxPollingInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), queues.VisibilityTimeout);
        Assert.Equal(16, queues.BatchSize);
        Assert.Equal(8, queues.NewBatchThreshold);
        Assert.Equal(5, queues.MaxDequeueCount);
        Assert.True(queues.Base64Encoding);
    }

    [Fact]
    public void The_executable_host_json_names_is_the_handler_assembly()
    {
        Assert.Equal("Hotline.Functions", typeof(Hotline.Functions.HotlineApp).Assembly.GetName().Name);
    }
}

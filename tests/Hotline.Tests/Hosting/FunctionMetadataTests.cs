using System.Net;
using System.Text.Json.Nodes;
using Hotline.Functions.Hosting;
using Hotline.Messaging;
using Hotline.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;

namespace Hotline.Tests.Hosting;

/// <summary>
/// The functions as the worker describes them to the Functions host (generated from the [Function] attributes): the
/// queues they read are the queues the code writes, they bind nothing the host would have to write for them, only
/// HTTP functions can be reached over HTTP, and host.json is an isolated worker's.
/// </summary>
public sealed class FunctionMetadataTests : IAsyncLifetime
{
    private RunningApp _app = null!;

    public async Task InitializeAsync() => _app = await RunningApp.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public void Every_queue_a_trigger_names_is_a_queue_the_code_uses_and_every_such_queue_is_read()
    {
        var triggered = _app.Host.Functions.Where(f => f.Trigger?.Type == LocalFunctionsHost.Binding.QueueTrigger)
            .Select(f => f.Trigger!["queueName"]!).Order().ToList();
        Assert.Equal(QueueNames.All.Order().ToList(), triggered);
    }

    [Fact]
    public void Functions_bind_no_outputs_besides_the_http_response()
    {
        var outputs = _app.Host.Functions.SelectMany(f => f.Bindings
            .Where(b => b.Direction == LocalFunctionsHost.Protocol.BindingInfo.Types.Direction.Out && b.Type != "http")
            .Select(b => $"{f.Name}: {b.Type} {b.Name}")).ToList();
        Assert.Empty(outputs);
    }

    [Fact]
    public void Every_function_the_worker_reports_is_a_method_of_the_app_and_every_http_function_says_who_may_call_it()
    {
        Assert.Equal(FunctionMethods.All.Keys.Order().ToList(), _app.Host.Functions.Select(f => f.Name).Order().ToList());
        var undeclared = _app.Host.Functions.Where(f => f.Trigger?.Type == LocalFunctionsHost.Binding.HttpTrigger)
            .Select(f => FunctionMethods.All[f.Name])
            .Where(m => !FunctionMethods.Declared<AuthorizeAttribute>(m).Any() && !FunctionMethods.Declared<AllowAnonymousAttribute>(m).Any())
            .Select(m => m.Name).ToList();
        Assert.Empty(undeclared);
    }

    [Fact]
    public async Task No_queue_or_timer_function_can_be_invoked_over_HTTP()
    {
        var triggered = _app.Host.Functions.Where(f => f.Trigger?.Type != LocalFunctionsHost.Binding.HttpTrigger).Select(f => f.Name).ToList();
        Assert.Contains("SendSms", triggered);
        Assert.Contains("RerouteStale", triggered);
        foreach (var name in triggered)
        {
            foreach (var path in new[] { $"/{name}", $"/api/{name}", $"/admin/functions/{name}", $"/runtime/webhooks/{name}" })
            {
                using var post = new StringContent("""{"Data":{},"Metadata":{}}""", System.Text.Encoding.UTF8, "application/json");
                Assert.Equal(HttpStatusCode.NotFound, (await _app.Http.PostAsync(new Uri(path, UriKind.Relative), post)).StatusCode);
                Assert.Equal(HttpStatusCode.NotFound, (await _app.Http.GetAsync(new Uri(path, UriKind.Relative))).StatusCode);
            }
        }
    }

    [Fact]
    public void Host_json_is_an_isolated_workers_with_the_queue_settings_and_no_route_prefix()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "host.json")))!;
        Assert.Equal("2.0", (string?)host["version"]);
        Assert.Null(host["customHandler"]);
        Assert.Null(host["extensionBundle"]); // a .NET isolated app brings its extensions itself (extensions.json)
        Assert.Equal("", (string?)host["extensions"]!["http"]!["routePrefix"]); // the pages live at /chat, /console, ...
        var queues = host["extensions"]!["queues"]!;
        Assert.Equal(5, (int)queues["maxDequeueCount"]!);
        Assert.Equal("base64", (string?)queues["messageEncoding"]);
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace LocalFunctionsHost.Tests;

/// <summary>HTTP functions: served at routePrefix + route, each request invoked over gRPC and proxied to the worker.</summary>
public sealed class HttpTests : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, string> _sent = new();
    private FunctionsHost _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _host = await Sample.StartAsync(Sample.InProcess(), Sample.Settings(),
            onInvocation: r => _sent[r.InvocationId] = r.FunctionId);
        _http = new HttpClient { BaseAddress = _host.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_request_reaches_the_worker_with_method_path_query_and_body_and_the_invocation_id_sent_over_grpc()
    {
        using var response = await _http.PostAsync("api/echo/a/b?x=1&y=two", new StringContent("olá body", Encoding.UTF8));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var echo = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = echo.RootElement;
        Assert.Equal("POST", root.GetProperty("method").GetString());
        Assert.Equal("/api/echo/a/b", root.GetProperty("path").GetString());
        Assert.Equal("?x=1&y=two", root.GetProperty("query").GetString());
        Assert.Equal("olá body", root.GetProperty("body").GetString());
        var invocationId = root.GetProperty("invocationId").GetString()!;
        Assert.Equal(invocationId, root.GetProperty("invocationHeader").GetString());
        var session = await _host.CurrentWorker;
        Assert.Equal(session.Function("Echo").FunctionId, _sent[invocationId]); // the same id went over gRPC
        // X-Forwarded-Host/-Proto were added and applied by the worker: it sees the public request, not its own port.
        Assert.Equal(_host.BaseAddress.Authority, root.GetProperty("host").GetString());
        Assert.Equal("http", root.GetProperty("scheme").GetString());
        Assert.Equal(session.HttpUri!.Authority, root.GetProperty("originalHost").GetString());
    }

    [Fact]
    public async Task A_route_parameter_with_a_constraint_is_bound()
    {
        using var echo = JsonDocument.Parse(await _http.GetStringAsync("api/items/42"));
        Assert.Equal(42, echo.RootElement.GetProperty("id").GetInt32());
    }

    [Theory]
    [InlineData("GET", "api/nothing-here")]
    [InlineData("GET", "api/items/abc")] // fails the int constraint
    [InlineData("DELETE", "api/items/42")] // method not allowed for the function: 404, as in Azure
    [InlineData("GET", "echo/a")] // no route prefix
    [InlineData("GET", "api/Orders")] // a queue function
    [InlineData("GET", "api/Sweep")] // a timer function
    [InlineData("POST", "admin/functions/Sweep")]
    public async Task Anything_but_an_http_function_route_and_method_is_404(string method, string path)
    {
        using var response = await _http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(_sent);
    }

    [Fact]
    public async Task A_large_body_streams_through_to_the_worker()
    {
        var body = new string('x', 3 * 1024 * 1024);
        using var response = await _http.PutAsync("api/echo/big", new StringContent(body));
        using var echo = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(body.Length, echo.RootElement.GetProperty("body").GetString()!.Length);
    }
}

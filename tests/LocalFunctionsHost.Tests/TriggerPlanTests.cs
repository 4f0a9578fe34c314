using LocalFunctionsHost.Protocol;
using Microsoft.Extensions.Configuration;

namespace LocalFunctionsHost.Tests;

/// <summary>How triggers are resolved from the worker's metadata and the app settings.</summary>
public sealed class TriggerPlanTests
{
    [Theory]
    [InlineData("MyStorage", "MyStorage")]
    [InlineData("MyStorage", "AzureWebJobsMyStorage")] // the host also looks for the AzureWebJobs prefix
    [InlineData(null, "AzureWebJobsStorage")]
    public void A_queue_trigger_uses_the_connection_string_its_connection_setting_names(string? connection, string setting)
    {
        var function = Function("Orders",
            $$"""{"name":"message","type":"queueTrigger","direction":"In","queueName":"%Q%"{{(connection is null ? "" : $",\"connection\":\"{connection}\"")}}}""");
        var settings = Settings(("Q", "Orders-In"), (setting, "UseDevelopmentStorage=true"));

        var (_, queue) = Assert.Single(TriggerPlan.Create([function], settings).Queues);

        Assert.Equal("orders-in", queue.QueueName); // queue names are lower case, as the host makes them
        Assert.Equal("UseDevelopmentStorage=true", queue.ConnectionString);
    }

    [Theory]
    [InlineData("true", 0)]
    [InlineData("1", 0)]
    [InlineData("false", 1)]
    [InlineData(null, 1)]
    public void A_function_disabled_by_its_AzureWebJobs_setting_is_not_triggered_nor_served(string? disabled, int served)
    {
        var queue = Function("Orders", """{"name":"m","type":"queueTrigger","direction":"In","queueName":"orders"}""");
        var timer = Function("Sweep", """{"name":"t","type":"timerTrigger","direction":"In","schedule":"0 */5 * * * *"}""");
        var http = Function("Echo", """{"name":"req","type":"httpTrigger","direction":"In","authLevel":"Anonymous","methods":["get"],"route":"echo"}""");
        var settings = Settings(("AzureWebJobsStorage", "UseDevelopmentStorage=true"),
            ("AzureWebJobs.Orders.Disabled", disabled), ("AzureWebJobs.Sweep.Disabled", disabled), ("AzureWebJobs.Echo.Disabled", disabled));

        var plan = TriggerPlan.Create([queue, timer, http], settings);

        Assert.Equal(served, plan.Queues.Count);
        Assert.Equal(served, plan.Timers.Count);
        Assert.Equal(served, plan.Http.Count);
    }

    [Theory]
    [InlineData(null, "function")]
    [InlineData("\"authLevel\":\"Function\",", "Function")]
    [InlineData("\"authLevel\":\"Admin\",", "Admin")]
    public void An_http_function_that_needs_keys_in_Azure_is_refused_rather_than_served_without_them(string? level, string named)
    {
        var function = Function("Echo", $$"""{"name":"req","type":"httpTrigger","direction":"In",{{level}}"methods":["get"],"route":"echo"}""");

        var e = Assert.Throws<HostStartupException>(() => TriggerPlan.Create([function], Settings()));

        Assert.StartsWith($"Function Echo: authLevel '{named}' needs function keys", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_connection_setting_that_is_not_set_is_named()
    {
        var function = Function("Orders", """{"name":"m","type":"queueTrigger","direction":"In","queueName":"q","connection":"Other"}""");

        var e = Assert.Throws<HostStartupException>(() => TriggerPlan.Create([function], Settings(("AzureWebJobsStorage", "x"))));

        Assert.StartsWith("Function Orders: connection setting 'Other' is not set", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_trigger_the_local_host_does_not_serve_is_named()
    {
        var function = Function("Blobs", """{"name":"b","type":"blobTrigger","direction":"In","path":"c/{name}"}""");

        var e = Assert.Throws<HostStartupException>(() => TriggerPlan.Create([function], Settings()));

        Assert.Equal("Function Blobs: trigger 'blobTrigger' is not served by the local host (HTTP, queue and timer are).", e.Message);
    }

    [Fact]
    public void An_output_binding_the_local_host_would_not_write_is_refused()
    {
        var function = Function("Forward",
            """{"name":"req","type":"httpTrigger","direction":"In","authLevel":"Anonymous","methods":["post"]}""",
            """{"name":"$return","type":"queue","direction":"Out","queueName":"out"}""");

        var e = Assert.Throws<HostStartupException>(() => TriggerPlan.Create([function], Settings()));

        Assert.Equal("Function Forward: output binding '$return' (queue) is not written by the local host.", e.Message);
    }

    [Theory]
    [InlineData("api", "items/{id:int}", "api/items/{id:int}")]
    [InlineData("", "items/{id:int}", "items/{id:int}")] // an empty routePrefix is allowed
    [InlineData("api", null, "api/Item")] // no route: the function's name
    public void An_http_function_is_served_at_routePrefix_and_route(string prefix, string? route, string expected)
    {
        var function = Function("Item",
            $$"""{"name":"req","type":"httpTrigger","direction":"In","authLevel":"Anonymous","methods":["get"]{{(route is null ? "" : $",\"route\":\"{route}\"")}}}""");

        Assert.Equal(expected, FunctionsHost.HttpRoute(function, prefix));
    }

    [Fact]
    public void Host_json_settings_are_read_with_the_hosts_defaults()
    {
        var hostJson = HostJson.Load(Sample.Folder);

        Assert.Equal("api", hostJson.RoutePrefix);
        Assert.Equal(TimeSpan.FromMinutes(1), hostJson.FunctionTimeout);
        Assert.Equal(new QueueSettings
        {
            MaxPollingInterval = TimeSpan.FromSeconds(1),
            VisibilityTimeout = TimeSpan.Zero,
            BatchSize = 8,
            NewBatchThreshold = 4,
            MaxDequeueCount = 3,
            Base64Encoding = true,
        }, hostJson.Queues);
    }

    private static FunctionDefinition Function(string name, params string[] bindings)
    {
        var metadata = new RpcFunctionMetadata { Name = name, FunctionId = name + "-id", ScriptFile = "App.dll", EntryPoint = "App." + name };
        metadata.RawBindings.AddRange(bindings);
        return FunctionDefinition.From(metadata);
    }

    private static IConfiguration Settings(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();
}

using LocalFunctionsHost.Protocol;

namespace LocalFunctionsHost.Tests;

/// <summary>The worker comes up through StartStream, init, metadata and one load per function.</summary>
public sealed class HandshakeTests
{
    [Fact]
    public async Task Every_function_arrives_with_its_bindings_and_is_loaded_with_them_as_BindingInfo()
    {
        var log = new LogLines();
        await using var host = await StartLoggedAsync(log);
        var session = await host.CurrentWorker;

        Assert.Equal(["Echo", "Item", "Orders", "Receipts", "Sweep"], host.Functions.Select(f => f.Name).Order());
        Assert.True(session.ConnectedAfter > TimeSpan.Zero && session.LoadedAfter >= session.ConnectedAfter);
        Assert.NotNull(session.HttpUri); // the ASP.NET Core integration's capability
        Assert.Equal(1, host.WorkerStarts);

        var echo = host.Functions.Single(f => f.Name == "Echo");
        Assert.Equal("httpTrigger", echo.Trigger!.Type);
        Assert.Equal("echo/{*rest}", echo.Trigger["route"]);
        Assert.Equal(["GET", "POST", "PUT"], echo.Trigger.Methods);
        var load = echo.ToLoadRequest(host.ScriptRoot);
        Assert.Equal(echo.FunctionId, load.FunctionId);
        Assert.Equal(BindingInfo.Types.Direction.In, load.Metadata.Bindings["request"].Direction);
        Assert.Equal("httpTrigger", load.Metadata.Bindings["request"].Type);
        Assert.Equal(BindingInfo.Types.Direction.Out, load.Metadata.Bindings["$return"].Direction);
        Assert.Equal("http", load.Metadata.Bindings["$return"].Type);

        var orders = host.Functions.Single(f => f.Name == "Orders");
        Assert.Equal("%SampleQueue%", orders.Trigger!["queueName"]);
        Assert.Equal("queueTrigger", orders.ToLoadRequest(host.ScriptRoot).Metadata.Bindings["message"].Type);
        var receipts = host.Functions.Single(f => f.Name == "Receipts");
        Assert.Equal("True", receipts.ToLoadRequest(host.ScriptRoot).Metadata.Bindings["message"].Properties["supportsDeferredBinding"]);
        var sweep = host.Functions.Single(f => f.Name == "Sweep");
        Assert.Equal("%SampleSchedule%", sweep.Trigger!["schedule"]);
        Assert.Equal("timerTrigger", sweep.ToLoadRequest(host.ScriptRoot).Metadata.Bindings["timer"].Type);
    }

    private static async Task<FunctionsHost> StartLoggedAsync(LogLines log)
    {
        try
        {
            return await Sample.StartAsync(Sample.InProcess(), Sample.Settings(), log: log);
        }
        catch (HostStartupException e)
        {
            throw new InvalidOperationException($"{e.Message}\n{log}", e);
        }
    }
}

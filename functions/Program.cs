using Hotline.Functions;
using Hotline.Functions.Configuration;

try
{
    using var host = HotlineWorker.Build();
    await host.RunAsync();
    return 0;
}
catch (StartupSettingException e)
{
    // One clear line for the operator; no stack trace, no setting values.
    await Console.Error.WriteLineAsync($"Startup failed: {e.Message}");
    return 2;
}

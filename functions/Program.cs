using Hotline.Functions;
using Hotline.Functions.Configuration;
using Hotline.Functions.Hosting;

try
{
    var app = HotlineApp.Build(args);
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is StartupSettingException or FunctionCatalogException)
{
    // One clear line for the operator; no stack trace, no setting values.
    await Console.Error.WriteLineAsync($"Startup failed: {e.Message}");
    return 2;
}

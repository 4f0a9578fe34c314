using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LocalFunctionsHost.SampleApp;

public static class Program
{
    public static void Main(string[] args) => Build(args).Run();

    /// <summary>The worker as the Functions host starts it: a process of its own.</summary>
    public static IHost Build(string[] args) =>
        new HostBuilder()
            .ConfigureFunctionsWebApplication()
            .ConfigureServices(AddServices)
            .Build();

    /// <summary>The app's own services (the tests add them to an in-process worker too).</summary>
    public static void AddServices(IServiceCollection services)
    {
        services.AddSingleton<Recorder>();
        services.AddSingleton(TimeProvider.System);
    }
}

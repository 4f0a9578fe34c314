using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Hosting;

new HostBuilder()
    .ConfigureFunctionsWebApplication()
    .Build()
    .Run();

public static class Health
{
    [Function("Health")]
    public static IActionResult Check([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) =>
        new OkObjectResult("healthy");
}

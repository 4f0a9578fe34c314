using Hotline.Functions.Hosting;
using Hotline.Functions.Sms;
using Hotline.Secrets;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Dev;

/// <summary>The local SMS simulator's page, its phone and its stand-in for Twilio's Messages API (Development only).</summary>
[AllowAnonymous, DevelopmentOnly]
public sealed class TwilioSimulatorFunctions(IServiceProvider services)
{
    private SimulatedPhones Phones => services.GetRequiredService<SimulatedPhones>();

    [Function("DevTwilioPage")]
    public IResult Page([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dev/twilio")] HttpRequest request) =>
        Secured(request, TwilioSimulator.Asset("simulator.html", "text/html; charset=utf-8"));

    [Function("DevTwilioScript")]
    public IResult Script([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dev/twilio/simulator.js")] HttpRequest request) =>
        Secured(request, TwilioSimulator.Asset("simulator.js", "text/javascript; charset=utf-8"));

    [Function("DevTwilioStyles")]
    public IResult Styles([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dev/twilio/simulator.css")] HttpRequest request) =>
        Secured(request, TwilioSimulator.Asset("simulator.css", "text/css; charset=utf-8"));

    /// <summary>A simulated phone texts the hotline: the webhook is called through the Functions host, as Twilio would.</summary>
    [Function("DevTwilioSend")]
    public async Task<IResult> Send([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "dev/twilio/send")] HttpRequest request, CancellationToken ct) =>
        Secured(request, await TwilioSimulator.SendAsCallerAsync(
            await request.ReadJsonAsync<SimulatedSms>(ct), new Uri($"{request.Scheme}://{request.Host}/"),
            services.GetRequiredService<IHttpClientFactory>(), services.GetRequiredService<ISecretStore>(),
            services.GetRequiredService<SmsSettings>(), Phones, ct));

    [Function("DevTwilioMessages")]
    public IResult Messages([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dev/twilio/messages")] HttpRequest request) =>
        Secured(request, TypedResults.Ok(Phones.InboxOf(request.Text("to") ?? string.Empty)));

    [Function("DevTwilioThreads")]
    public IResult Threads([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dev/twilio/threads")] HttpRequest request) =>
        Secured(request, TypedResults.Ok(Phones.Threads()));

    /// <summary>The app sends an SMS (Twilio's Messages API, as the app's Twilio client calls it).</summary>
    [Function("DevTwilioApiSend")]
    public async Task<IResult> ApiSend(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "dev/twilio/api/2010-04-01/Accounts/{sid}/Messages.json")] HttpRequest request, string sid, CancellationToken ct) =>
        Secured(request, await TwilioSimulator.ReceiveFromAppAsync(sid, request, services.GetRequiredService<ISecretStore>(), Phones, ct));

    /// <summary>The app looks up what it sent (Twilio's message list).</summary>
    [Function("DevTwilioApiList")]
    public IResult ApiList(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dev/twilio/api/2010-04-01/Accounts/{sid}/Messages.json")] HttpRequest request, string sid) =>
        Secured(request, TwilioSimulator.ListSent(sid, request.Text("To"), request.Text("From"), Phones));

    /// <summary>The app fetches or deletes a voicemail (Twilio's Recordings API).</summary>
    [Function("DevTwilioApiRecording")]
    public async Task<IResult> ApiRecording(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "delete", Route = "dev/twilio/api/2010-04-01/Accounts/{sid}/Recordings/{file}")] HttpRequest request,
        string sid, string file, CancellationToken ct) =>
        Secured(request, await TwilioSimulator.RecordingAsync(
            sid, file, request, services.GetRequiredService<ISecretStore>(), services.GetRequiredService<SimulatedRecordings>(), ct));

    // The same security headers as the hotline's own pages: the simulator is a page on the same origin.
    private static IResult Secured(HttpRequest request, IResult result)
    {
        Pages.PageEndpoints.Secure(request.HttpContext.Response, cache: false);
        return result;
    }
}

using System.Globalization;
using Hotline.Functions.Dev.CallFlow;
using Hotline.Functions.Hosting;
using Hotline.Functions.Sms;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Dev;

/// <summary>
/// The local simulator's call page (Development only): dial the hotline's voice line as a caller, play each rung
/// counsellor's phone, and read what every side hears. Each step is one request; <see cref="SimulatedCalls"/> plays
/// Twilio's part against the app's voice webhooks. 404 for an unknown call or leg, 409 for a step that does not fit
/// where the call is (or an answer from the app that Twilio would refuse), 400 for bad input.
/// </summary>
[AllowAnonymous, DevelopmentOnly]
public sealed class TwilioCallSimulatorFunctions(IServiceProvider services)
{
    /// <summary>The number the page offers as the general (multilingual) line: any number not in Sms__Numbers is one.</summary>
    public const string GeneralNumber = "+442071234567";

    private static readonly HashSet<string> CallerSteps = ["press", "quiet", "record", "hangup", "dial-timeout", "talk", "wait"];
    private static readonly HashSet<string> LegSteps = ["answer", "press", "quiet", "reject", "hangup"];
    private static readonly HashSet<string> OutboundSteps = ["answer", "press", "quiet", "reject", "hangup", "dial-timeout"];

    private SimulatedCalls Calls => services.GetRequiredService<SimulatedCalls>();

    [Function("DevTwilioCallPage")]
    public IResult Page([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dev/twilio/call")] HttpRequest request) =>
        Secured(request, TwilioSimulator.Asset("call.html", "text/html; charset=utf-8"));

    [Function("DevTwilioCallScript")]
    public IResult Script([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dev/twilio/call.js")] HttpRequest request) =>
        Secured(request, TwilioSimulator.Asset("call.js", "text/javascript; charset=utf-8"));

    /// <summary>The hotline numbers to dial: the general one and those serving one language.</summary>
    [Function("DevTwilioLines")]
    public IResult Lines([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dev/twilio/lines")] HttpRequest request) =>
        Secured(request, TypedResults.Ok(new
        {
            general = GeneralNumber,
            numbers = services.GetRequiredService<SmsSettings>().NumberLanguages.OrderBy(n => n.Key, StringComparer.Ordinal)
                .Select(n => new { number = n.Key, language = n.Value }),
        }));

    [Function("DevTwilioCalls")]
    public IResult List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dev/twilio/calls")] HttpRequest request) =>
        Secured(request, TypedResults.Ok(Calls.All()));

    [Function("DevTwilioCallStart")]
    public async Task<IResult> Start([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "dev/twilio/calls")] HttpRequest request, CancellationToken ct)
    {
        var body = await request.ReadJsonAsync<CallStart>(ct);
        if (body is null || string.IsNullOrWhiteSpace(body.From) || string.IsNullOrWhiteSpace(body.To))
        {
            return Secured(request, Results.Problem("'from' and 'to' are required.", statusCode: 400));
        }

        return Secured(request, await RunAsync(async () =>
        {
            var view = await Calls.StartAsync(body.From.Trim(), body.To.Trim(), new Uri($"{request.Scheme}://{request.Host}/"));
            return Results.Created($"/dev/twilio/calls/{view.Id}", view);
        }));
    }

    [Function("DevTwilioCallView")]
    public IResult View([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dev/twilio/calls/{id}")] HttpRequest request, string id) =>
        Secured(request, Calls.Find(id) is { } view ? TypedResults.Ok(view) : NoCall());

    /// <summary>The caller's steps: press {keys}, quiet, record {seconds, key?}, hangup, dial-timeout, talk {seconds}, wait {seconds} (queued).</summary>
    [Function("DevTwilioCallStep")]
    public async Task<IResult> CallerStep(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "dev/twilio/calls/{id}/{step}")] HttpRequest request, string id, string step, CancellationToken ct)
    {
        if (!CallerSteps.Contains(step))
        {
            return Secured(request, NoStep());
        }

        var input = await request.ReadJsonAsync<StepInput>(ct) ?? new StepInput(null, null, null);
        Func<SimulatedCall, CancellationToken, Task>? action = step switch
        {
            "press" when SimulatedCalls.AreKeys(input.Keys) => (call, t) => call.PressAsync(input.Keys!, t),
            "press" => null,
            "quiet" => (call, t) => call.StayQuietAsync(t),
            "record" when input.Seconds is >= 0 and <= 3600 && (input.Key is null || SimulatedCalls.AreKeys(input.Key)) =>
                (call, t) => call.RecordAsync(input.Seconds.Value, input.Key, t),
            "record" => null,
            "hangup" => (call, t) => call.HangUpAsync(t),
            "dial-timeout" => (call, t) => call.DialTimesOutAsync(t),
            "talk" when input.Seconds is >= 0 and <= 3600 => (call, _) => Talk(call, input.Seconds.Value),
            "wait" when input.Seconds is >= 0 and <= 3600 => (call, t) => call.WaitAsync(TimeSpan.FromSeconds(input.Seconds.Value), t),
            _ => null,
        };
        return Secured(request, await StepAsync(id, action, step switch
        {
            "press" => "'keys' must be 1 to 20 of 0-9, * and #.",
            "record" => "'seconds' must be 0 to 3600 and 'key', if given, one of 0-9, * and # (without a key the caller hangs up).",
            _ => "'seconds' must be 0 to 3600.",
        }));
    }

    /// <summary>A rung phone's steps: answer, press {keys}, quiet, reject, hangup. Legs are numbered from 1.</summary>
    [Function("DevTwilioCallLegStep")]
    public async Task<IResult> LegStep(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "dev/twilio/calls/{id}/legs/{n}/{step}")] HttpRequest request,
        string id, string n, string step, CancellationToken ct)
    {
        if (!int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return Secured(request, Results.Problem("The leg is a number from 1.", statusCode: 400));
        }

        if (!LegSteps.Contains(step))
        {
            return Secured(request, NoStep());
        }

        var action = LegAction(step, await request.ReadJsonAsync<StepInput>(ct));
        if (Calls.Find(id) is { } view && view.Legs.All(l => l.Index != index))
        {
            return Secured(request, Results.Problem($"The call has no leg {index}.", statusCode: 404));
        }

        return Secured(request, await StepAsync(id, action is null ? null : (call, t) => action(call.Legs.Single(l => l.Index == index), t),
            "'keys' must be 1 to 20 of 0-9, * and #."));
    }

    /// <summary>
    /// A phone the app called through the REST API: answer, press {keys}, quiet, reject, hangup, dial-timeout (its
    /// &lt;Dial&gt;&lt;Queue&gt; waits on an empty queue). Numbered from 1 in the order the app created them.
    /// </summary>
    [Function("DevTwilioCallOutboundStep")]
    public async Task<IResult> OutboundStep(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "dev/twilio/calls/{id}/outbound/{n}/{step}")] HttpRequest request,
        string id, string n, string step, CancellationToken ct)
    {
        if (!int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return Secured(request, Results.Problem("The created call is a number from 1.", statusCode: 400));
        }

        if (!OutboundSteps.Contains(step))
        {
            return Secured(request, NoStep());
        }

        var input = await request.ReadJsonAsync<StepInput>(ct) ?? new StepInput(null, null, null);
        Func<OutboundCall, CancellationToken, Task>? action = step switch
        {
            "answer" => (c, t) => c.AnswerAsync(t),
            "press" when SimulatedCalls.AreKeys(input.Keys) => (c, t) => c.PressAsync(input.Keys!, t),
            "press" => null,
            "quiet" => (c, t) => c.StayQuietAsync(t),
            "reject" => (c, t) => c.RejectAsync(t),
            "hangup" => (c, t) => c.HangUpAsync(t),
            "dial-timeout" => (c, t) => c.DialTimesOutAsync(t),
            _ => null,
        };
        if (action is null)
        {
            return Secured(request, Calls.Find(id) is null ? NoCall() : Results.Problem("'keys' must be 1 to 20 of 0-9, * and #.", statusCode: 400));
        }

        if (Calls.Find(id) is { } view && view.Outbound.All(c => c.Index != index))
        {
            return Secured(request, Results.Problem($"No call {index} was created by the app since this call came in.", statusCode: 404));
        }

        return Secured(request, await RunAsync(async () => await Calls.OutboundStepAsync(id, index, action) is { } shown ? TypedResults.Ok(shown) : NoCall()));
    }

    /// <summary>
    /// A number dialled by the &lt;Dial&gt; of a phone the app called (a caller called back): answer, press {keys}, quiet,
    /// reject, hangup. <c>outbound/{n}/dial-timeout</c> lets it ring out.
    /// </summary>
    [Function("DevTwilioCallOutboundLegStep")]
    public async Task<IResult> OutboundLegStep(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "dev/twilio/calls/{id}/outbound/{n}/legs/{m}/{step}")] HttpRequest request,
        string id, string n, string m, string step, CancellationToken ct)
    {
        if (!int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || !int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out var leg))
        {
            return Secured(request, Results.Problem("The created call and its leg are numbers from 1.", statusCode: 400));
        }

        if (!LegSteps.Contains(step))
        {
            return Secured(request, NoStep());
        }

        var action = LegAction(step, await request.ReadJsonAsync<StepInput>(ct));
        if (action is null)
        {
            return Secured(request, Calls.Find(id) is null ? NoCall() : Results.Problem("'keys' must be 1 to 20 of 0-9, * and #.", statusCode: 400));
        }

        if (Calls.Find(id)?.Outbound.SingleOrDefault(c => c.Index == index) is { } outbound && outbound.Legs.All(l => l.Index != leg))
        {
            return Secured(request, Results.Problem($"Call {index} dials no leg {leg}.", statusCode: 404));
        }

        return Secured(request, await RunAsync(async () =>
            await Calls.OutboundStepAsync(id, index, (c, t) => action(c.Legs.Single(l => l.Index == leg), t)) is { } shown ? TypedResults.Ok(shown) : NoCall()));
    }

    /// <summary>
    /// Twilio's Calls and Queues API as the app calls it (<c>Twilio__ApiBaseUrl</c> set by <c>./hotline up</c>): updates
    /// or reads a call (<c>Calls/{Sid}.json</c>).
    /// </summary>
    [Function("DevTwilioApiCall")]
    public async Task<IResult> ApiCall(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "dev/twilio/api/2010-04-01/Accounts/{sid}/Calls/{file}")] HttpRequest request,
        string sid, string file, CancellationToken ct) =>
        await Calls.ServeApiAsync(request, $"/2010-04-01/Accounts/{sid}/Calls/{file}", ct);

    /// <summary>Deletes a queue (<c>DELETE Queues/{Sid}.json</c>).</summary>
    [Function("DevTwilioApiQueue")]
    public async Task<IResult> ApiQueue(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "dev/twilio/api/2010-04-01/Accounts/{sid}/Queues/{file}")] HttpRequest request,
        string sid, string file, CancellationToken ct) =>
        await Calls.ServeApiAsync(request, $"/2010-04-01/Accounts/{sid}/Queues/{file}", ct);

    /// <summary>Creates a call (<c>POST Calls.json</c>).</summary>
    [Function("DevTwilioApiCallCreate")]
    public async Task<IResult> ApiCallCreate(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "dev/twilio/api/2010-04-01/Accounts/{sid}/Calls.json")] HttpRequest request,
        string sid, CancellationToken ct) =>
        await Calls.ServeApiAsync(request, $"/2010-04-01/Accounts/{sid}/Calls.json", ct);

    /// <summary>A rung phone's step (a leg of a &lt;Dial&gt;); null for bad input.</summary>
    private static Func<DialLeg, CancellationToken, Task>? LegAction(string step, StepInput? input) => step switch
    {
        "answer" => (leg, t) => leg.AnswerAsync(t),
        "press" when SimulatedCalls.AreKeys(input?.Keys) => (leg, t) => leg.PressAsync(input!.Keys!, t),
        "press" => null,
        "quiet" => (leg, t) => leg.StayQuietAsync(t),
        "reject" => (leg, t) => leg.RejectAsync(t),
        "hangup" => (leg, t) => leg.HangUpAsync(t),
        _ => null,
    };

    private static Task Talk(SimulatedCall call, int seconds)
    {
        if (call.State != CallState.Connected)
        {
            throw new CallFlowException($"The caller talks once connected, not while {call.State}.");
        }

        call.PassTime(TimeSpan.FromSeconds(seconds));
        return Task.CompletedTask;
    }

    private async Task<IResult> StepAsync(string id, Func<SimulatedCall, CancellationToken, Task>? step, string badInput)
    {
        if (step is null)
        {
            return Calls.Find(id) is null ? NoCall() : Results.Problem(badInput, statusCode: 400);
        }

        return await RunAsync(async () => await Calls.StepAsync(id, step) is { } view ? TypedResults.Ok(view) : NoCall());
    }

    private static async Task<IResult> RunAsync(Func<Task<IResult>> run)
    {
        try
        {
            return await run();
        }
        catch (CallStepException e)
        {
            return Results.Problem(e.Message, statusCode: 409);
        }
    }

    private static IResult NoStep() => Results.Problem("No such step.", statusCode: 404);

    private static IResult NoCall() => Results.Problem("No such call (calls are dropped some minutes after they end).", statusCode: 404);

    // The same security headers as the hotline's own pages: the simulator is a page on the same origin.
    private static IResult Secured(HttpRequest request, IResult result)
    {
        Pages.PageEndpoints.Secure(request.HttpContext.Response, cache: false);
        return result;
    }

    private sealed record CallStart(string? From, string? To);

    private sealed record StepInput(string? Keys, int? Seconds, string? Key);
}

using Hotline.Functions.Auth;
using Hotline.Functions.Configuration;
using Hotline.Functions.Hosting;
using Hotline.Roster;
using Hotline.Routing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Roster;

/// <summary>The roster: supervisors list and edit counsellors.</summary>
[Authorize(Policy = Policies.Supervisor)]
public sealed class RosterFunctions(IRosterStore roster, LanguageSettings languages, RoutingPolicy policy, TimeProvider time)
{
    [Function("RosterList")]
    public async Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/roster")] HttpRequest request, CancellationToken ct) =>
        await RosterEndpoints.ListAsync(roster, policy, time, ct);

    [Function("RosterSave")]
    public async Task<IResult> Save(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/roster/{counsellorId}")] HttpRequest request, string counsellorId, CancellationToken ct) =>
        await RosterEndpoints.SaveAsync(counsellorId, await request.ReadJsonAsync<CounsellorUpdate>(ct), roster, languages, policy, time, ct);

    [Function("RosterPhone")]
    public async Task<IResult> SetPhone(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/roster/{counsellorId}/phone")] HttpRequest request, string counsellorId, CancellationToken ct) =>
        await RosterEndpoints.SetPhoneAsync(counsellorId, await request.ReadJsonAsync<PhoneUpdate>(ct), roster, policy, time, ct);
}

/// <summary>The signed-in counsellor: who they are, their own on-call switch and phone. Calls from an open console.</summary>
[Authorize(Policy = Policies.Counsellor)]
public sealed class MeFunctions(IRosterStore roster, LanguageSettings languages, RoutingPolicy policy, TimeProvider time)
{
    [Function("Me"), RecordsPresence]
    public async Task<IResult> Me(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/me")] HttpRequest request, CancellationToken ct) =>
        await RosterEndpoints.MeAsync(request.HttpContext.User, roster, languages, policy, time, ct);

    [Function("MyAvailability"), RecordsPresence]
    public async Task<IResult> SetAvailability(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/me/availability")] HttpRequest request, CancellationToken ct) =>
        await RosterEndpoints.SetAvailabilityAsync(await request.ReadJsonAsync<AvailabilityUpdate>(ct), request.HttpContext.User, roster, policy, time, ct);

    /// <summary>The counsellor's own phone: only they (or a supervisor, through the roster) may set it.</summary>
    [Function("MyPhone"), RecordsPresence]
    public async Task<IResult> SetPhone(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "api/me/phone")] HttpRequest request, CancellationToken ct) =>
        await RosterEndpoints.SetPhoneAsync(request.HttpContext.User.UserId(), await request.ReadJsonAsync<PhoneUpdate>(ct), roster, policy, time, ct);
}

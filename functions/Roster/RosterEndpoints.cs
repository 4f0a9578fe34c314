using System.Security.Claims;
using Hotline.Functions.Auth;
using Hotline.Functions.Configuration;
using Hotline.Functions.Hosting;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Routing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hotline.Functions.Roster;

/// <summary>
/// The roster: supervisors list and edit counsellors (languages, capacity, on call); a counsellor switches their own
/// on-call state. A counsellor's phone is set by the counsellor or a supervisor and only ever answered masked.
/// </summary>
public static class RosterEndpoints
{
    private const int MaxCapacity = 50;

    /// <summary>Who is signed in: their id and roles, and their roster entry if they have one.</summary>
    internal static async Task<Ok<MeDto>> MeAsync(
        ClaimsPrincipal user, IRosterStore roster, LanguageSettings languages, RoutingPolicy policy, TimeProvider time, CancellationToken ct)
    {
        var id = user.UserId() ?? string.Empty;
        var entry = await roster.FindAsync(id, ct);
        var roles = Roles.All.Where(user.IsInRole).ToList();
        return TypedResults.Ok(new MeDto(id, roles, entry is null ? null : CounsellorDto.From(entry, policy, time), languages.Supported));
    }

    internal static async Task<Ok<IReadOnlyList<CounsellorDto>>> ListAsync(
        IRosterStore roster, RoutingPolicy policy, TimeProvider time, CancellationToken ct) =>
        TypedResults.Ok<IReadOnlyList<CounsellorDto>>(
            (await roster.ListAsync(ct)).OrderBy(c => c.Id, StringComparer.Ordinal).Select(c => CounsellorDto.From(c, policy, time)).ToList());

    internal static async Task<Results<Ok<CounsellorDto>, ProblemHttpResult>> SaveAsync(
        string counsellorId, CounsellorUpdate? update, IRosterStore roster, LanguageSettings languages, RoutingPolicy policy,
        TimeProvider time, CancellationToken ct)
    {
        if (!IsValidId(counsellorId))
        {
            return Problem("the counsellor id must be 1-64 letters, digits, '.', '_', '-' or '@'.");
        }

        if (update is null)
        {
            return Problem("a JSON body with displayName, languages, onCall and capacity is required.");
        }

        if (string.IsNullOrWhiteSpace(update.DisplayName) || update.DisplayName.Length > 100)
        {
            return Problem("'displayName' is required (at most 100 characters).");
        }

        var codes = (update.Languages ?? []).Select(l => l.Trim().ToLowerInvariant()).Distinct().ToList();
        if (codes.Count == 0)
        {
            return Problem("'languages' must list at least one language code.");
        }

        if (codes.FirstOrDefault(c => !languages.Supported.Contains(c)) is { } unknown)
        {
            return Problem($"'languages': '{unknown}' is not one of {string.Join(", ", languages.Supported)}.");
        }

        if (update.Capacity is not { } capacity || capacity is < 0 or > MaxCapacity)
        {
            return Problem($"'capacity' must be a whole number from 0 to {MaxCapacity}.");
        }

        var interpreted = (update.InterpreterLanguages ?? []).Select(l => l.Trim().ToLowerInvariant()).Distinct().ToList();
        if (interpreted.FirstOrDefault(c => !languages.Supported.Contains(c)) is { } unknownInterpreted)
        {
            return Problem($"'interpreterLanguages': '{unknownInterpreted}' is not one of {string.Join(", ", languages.Supported)}.");
        }

        var counsellor = new Counsellor(counsellorId, update.DisplayName.Trim(), codes, update.OnCall ?? false, capacity)
        {
            InterpreterLanguages = interpreted,
            BringsInterpreter = update.BringsInterpreter ?? false,
            SupervisorOnDuty = update.SupervisorOnDuty ?? false,
        };
        await roster.SaveAsync(counsellor, ct);
        return TypedResults.Ok(CounsellorDto.From(await roster.FindAsync(counsellorId, ct) ?? counsellor, policy, time));
    }

    internal static async Task<Results<Ok<CounsellorDto>, ProblemHttpResult>> SetAvailabilityAsync(
        AvailabilityUpdate? update, ClaimsPrincipal user, IRosterStore roster, RoutingPolicy policy, TimeProvider time, CancellationToken ct)
    {
        if (update?.OnCall is not { } onCall)
        {
            return Problem("'onCall' (true or false) is required.");
        }

        var id = user.UserId();
        if (id is null || !await roster.SetOnCallAsync(id, onCall, ct))
        {
            return TypedResults.Problem("You are not on the roster; ask a supervisor to add you.", statusCode: 404);
        }

        var counsellor = await roster.FindAsync(id, ct);
        return TypedResults.Ok(CounsellorDto.From(counsellor!, policy, time));
    }

    /// <summary>
    /// Sets, changes or clears the counsellor's phone and whether they take calls on it without the console. A field
    /// left out is kept; <c>"phoneNumber": null</c> (or empty) clears the number, and take-calls-on-phone with it. The
    /// answer, like every roster answer, holds the number only masked; a refusal never repeats it.
    /// </summary>
    internal static async Task<Results<Ok<CounsellorDto>, ProblemHttpResult>> SetPhoneAsync(
        string? counsellorId, PhoneUpdate? update, IRosterStore roster, RoutingPolicy policy, TimeProvider time, CancellationToken ct)
    {
        if (update is null || (!update.PhoneNumberGiven && update.TakesCallsOnPhone is null))
        {
            return Problem("a JSON body with 'phoneNumber' (in international form, or null to clear it) and/or 'takesCallsOnPhone' is required.");
        }

        StaffPhoneNumber? given = null;
        if (update.PhoneNumberGiven && !string.IsNullOrWhiteSpace(update.PhoneNumber)
            && !StaffPhoneNumber.TryParse(update.PhoneNumber, out given, out var problem))
        {
            return Problem("'phoneNumber' is not a phone number the hotline can ring: " + problem);
        }

        var current = counsellorId is null || !IsValidId(counsellorId) ? null : await roster.FindAsync(counsellorId, ct);
        if (current is null)
        {
            return NotOnRoster();
        }

        var phone = update.PhoneNumberGiven ? given : current.Phone;
        var takesCalls = update.TakesCallsOnPhone ?? (phone is not null && current.TakesCallsOnPhone);
        if (takesCalls && phone is null)
        {
            return Problem("'takesCallsOnPhone' needs a phone number to ring: give 'phoneNumber' too.");
        }

        if (!await roster.SetPhoneAsync(current.Id, phone, takesCalls, ct))
        {
            return NotOnRoster();
        }

        return TypedResults.Ok(CounsellorDto.From(await roster.FindAsync(current.Id, ct) ?? current, policy, time));

        static ProblemHttpResult NotOnRoster() => TypedResults.Problem("Not on the roster; a supervisor adds counsellors.", statusCode: 404);
    }

    private static bool IsValidId(string id) =>
        id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@');

    private static ProblemHttpResult Problem(string reason) => TypedResults.Problem(reason, statusCode: 400);
}

public sealed record CounsellorUpdate(
    string? DisplayName,
    IReadOnlyList<string>? Languages,
    bool? OnCall,
    int? Capacity,
    IReadOnlyList<string>? InterpreterLanguages = null,
    bool? BringsInterpreter = null,
    bool? SupervisorOnDuty = null);

public sealed record AvailabilityUpdate(bool? OnCall);

/// <summary>A change to a counsellor's phone: a field left out is kept, so <see cref="PhoneNumberGiven"/> tells a left-out number from a null one.</summary>
public sealed class PhoneUpdate
{
    private string? _phoneNumber;

    public string? PhoneNumber
    {
        get => _phoneNumber;
        init
        {
            _phoneNumber = value;
            PhoneNumberGiven = true;
        }
    }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool PhoneNumberGiven { get; private init; }

    public bool? TakesCallsOnPhone { get; init; }
}

/// <param name="HotlineLanguages">Every language the hotline works in (the pools a conversation can be transferred to).</param>
public sealed record MeDto(string Id, IReadOnlyList<string> Roles, CounsellorDto? Counsellor, IReadOnlyList<string> HotlineLanguages);

public sealed record CounsellorDto(
    string Id,
    string DisplayName,
    IReadOnlyList<string> Languages,
    bool OnCall,
    int Capacity,
    IReadOnlyList<string> InterpreterLanguages,
    bool BringsInterpreter,
    bool SupervisorOnDuty,
    bool Present,
    DateTimeOffset? LastSeenAt,
    string? MaskedPhoneNumber,
    bool TakesCallsOnPhone)
{
    /// <param name="policy">Says how recently a counsellor must have been seen to be present (offers go only to them).</param>
    public static CounsellorDto From(Counsellor c, RoutingPolicy policy, TimeProvider time) => new(
        c.Id, c.DisplayName, c.Languages, c.OnCall, c.Capacity, c.InterpreterLanguages, c.BringsInterpreter, c.SupervisorOnDuty,
        c.IsPresent(time.GetUtcNow(), policy.PresenceWindow), c.LastSeen?.At, c.Phone?.Masked, c.TakesCallsOnPhone);
}

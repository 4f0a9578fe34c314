using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Hotline.Escalations;
using Hotline.Functions.Escalations;
using Hotline.Secrets;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Hotline.Functions.Auth;

/// <summary>
/// Authenticates a partner agency by a receipt signed the Standard Webhooks way with its webhook secret, for agencies
/// that acknowledge from their own systems rather than with a token. A receipt is a message of its own kind, exactly
/// <c>{"type":"referral.acknowledged","referralId":"…"}</c>, which no referral delivery ever is (a delivery has no
/// <c>type</c> and more fields), so a copy of a delivery, which carries a valid signature too, acknowledges nothing.
/// The signature must verify with the secret of the agency the referral is addressed to, and each receipt's
/// <c>webhook-id</c> is accepted once (remembered in the <c>Referrals</c> table), so a copy of a receipt is refused
/// too. Then the caller is that agency, for that referral only (<see cref="ReferralClaim"/>). Without signature headers
/// this scheme has nothing to say, so an unsigned request without a token is 401 like any other.
/// </summary>
public sealed class PartnerSignatureHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IReferralStore referrals, ISecretStore secrets, TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "PartnerSignature";

    /// <summary>The one referral a signature speaks for.</summary>
    public const string ReferralClaim = "signed-referral";

    /// <summary>The <c>type</c> of a receipt: what a delivery never carries.</summary>
    public const string ReceiptType = "referral.acknowledged";

    private const int MaxBodyBytes = 4096; // {"type": "referral.acknowledged", "referralId": "…"} and little else
    private const int MaxWebhookIdLength = 200;
    private static readonly object FailureKey = new();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.ContainsKey(StandardWebhooks.SignatureHeader))
        {
            return AuthenticateResult.NoResult();
        }

        var failed = AuthenticateResult.Fail("The signature does not verify.");
        var webhookId = Request.Headers[StandardWebhooks.IdHeader].ToString();
        if (Request.ContentLength > MaxBodyBytes || webhookId.Length > MaxWebhookIdLength)
        {
            return failed;
        }

        // Buffered, so that the endpoint could read the body too.
        Request.EnableBuffering();
        var buffer = new byte[MaxBodyBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await Request.Body.ReadAsync(buffer.AsMemory(length), Context.RequestAborted)) > 0)
        {
            length += read;
        }

        Request.Body.Position = 0;
        if (length > MaxBodyBytes || ReceiptFor(buffer.AsSpan(0, length)) is not { } referralId || !Referral.IsWellFormedId(referralId)
            || await referrals.FindAsync(referralId, Context.RequestAborted) is not { } referral)
        {
            return failed; // unknown or unnamed referral: nothing to check the signature against, and nothing told
        }

        string secret;
        try
        {
            secret = await secrets.GetAsync(PartnerAgency.SecretNameFor(referral.AgencyId), Context.RequestAborted);
        }
        catch (SecretNotFoundException)
        {
            return failed;
        }

        var body = System.Text.Encoding.UTF8.GetString(buffer, 0, length);
        if (!StandardWebhooks.IsValid(secret, Request.Headers[StandardWebhooks.IdHeader], Request.Headers[StandardWebhooks.TimestampHeader],
                Request.Headers[StandardWebhooks.SignatureHeader], body, time.GetUtcNow()))
        {
            return failed;
        }

        // Only now, so that nobody without the secret can use up an agency's ids.
        if (!await referrals.TryRecordReceiptIdAsync(referral.AgencyId, webhookId, time.GetUtcNow(), Context.RequestAborted))
        {
            Context.Items[FailureKey] = "This receipt's webhook-id was received before: sign each receipt with a new webhook-id.";
            return AuthenticateResult.Fail("A receipt already received.");
        }

        var identity = new ClaimsIdentity(
            [new Claim("agency", referral.AgencyId), new Claim("roles", Roles.Partner), new Claim(ReferralClaim, referral.Id)],
            SchemeName, nameType: "agency", roleType: "roles");
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    // Says how to get in. The bearer scheme challenges first (the policy names it first) and writes no body.
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        if (!Response.HasStarted)
        {
            await Results.Problem(statusCode: StatusCodes.Status401Unauthorized,
                detail: Context.Items[FailureKey] as string
                        ?? "Acknowledge with a partner token, or with the body {\"type\":\"referral.acknowledged\",\"referralId\":\"<id>\"} " +
                        "signed with your agency's webhook secret (Standard Webhooks), under a new webhook-id.")
                .ExecuteAsync(Context);
        }
    }

    // The referral a receipt names; null for anything that is not exactly a receipt (a delivery above all).
    private static string? ReceiptFor(ReadOnlySpan<byte> body)
    {
        try
        {
            var json = JsonSerializer.Deserialize<JsonElement>(body);
            return json.ValueKind == JsonValueKind.Object && json.EnumerateObject().Count() == 2
                   && json.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == ReceiptType
                   && json.TryGetProperty("referralId", out var named) && named.ValueKind == JsonValueKind.String
                ? named.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

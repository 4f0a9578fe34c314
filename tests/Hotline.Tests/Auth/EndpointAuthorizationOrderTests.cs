using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Hotline.Conversations;
using Hotline.Escalations;
using Hotline.Functions.Auth;
using Hotline.Functions.Escalations;
using Hotline.Functions.Hosting;
using Hotline.Messaging;
using Hotline.Privacy;
using Hotline.Secrets;
using Hotline.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;

namespace Hotline.Tests.Auth;

/// <summary>
/// Every staff and partner endpoint, taken from the app's own endpoint list (so a new one is swept too), answers in
/// this order: 401 without a valid token (none, or expired) whatever the id; 403 for a role that may not call it,
/// before any 404 or 400; only a caller with the right role learns that an id is unknown. Someone else's conversation
/// or referral is answered exactly like one that does not exist, so ids cannot be told apart.
/// </summary>
public sealed class EndpointAuthorizationOrderTests : IAsyncLifetime
{
    // The public surface: the SMS and voice webhooks (the Twilio signature is their credential) and the recorded voice
    // prompts Twilio plays, health, the web chat's API, the pages, the sign-in configuration and the Development
    // sign-in. Everything else under /api needs a token with a role.
    private static readonly HashSet<string> Public =
    [
        "TwilioSms", "VoiceIncoming", "VoiceMenu", "VoiceSafety", "VoiceWait", "VoiceLeft", "VoiceWhisper", "VoiceAccept", "VoiceOffer",
        "VoiceCallbackTime", "VoiceCallbackMessage",
        "VoiceRecorded", "VoiceRecordingStatus", "VoiceStatus", "VoiceRecording", "Health", "SignInConfig", "DevToken", "ChatTexts", "ChatSessionStart", "ChatSend", "ChatPoll", "ChatLeave",
        "ChatCallback",
        "ChatPage", "ConsolePage", "SupervisorPage", "PartnerPage",
        "CallbackCallAnswered", "CallbackCallDialed",
    ];

    private const string UnknownId = "r-00000000000000000000";

    private RunningApp _app = null!;

    public async Task InitializeAsync() => _app = await RunningApp.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Every_staff_and_partner_endpoint_answers_401_then_403_then_404_whatever_the_id()
    {
        // The functions as the worker described them to the Functions host: a new one is swept too.
        var endpoints = _app.Host.Functions
            .Where(f => f.Trigger?.Type == LocalFunctionsHost.Binding.HttpTrigger
                        && f.Trigger["route"]!.StartsWith("api/", StringComparison.Ordinal) && !Public.Contains(f.Name))
            .ToList();
        Assert.True(endpoints.Count >= 25, $"only {endpoints.Count} staff endpoints found");
        Assert.Contains(endpoints, e => e.Name == "ReferralAck");

        var failures = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var (allowed, declared) = await AllowedRolesAsync(endpoint.Name);
            var route = endpoint.Trigger!["route"]!;
            if (!declared)
            {
                failures.Add($"{route}: declares no role that may call it");
                continue;
            }

            var segments = route.Split('/');
            var path = "/" + string.Join('/', segments.Select(s => s.StartsWith('{') ? UnknownId : s));
            var hasParameters = segments.Any(s => s.StartsWith('{'));
            var right = allowed.Contains(Roles.Supervisor) ? Roles.Supervisor : allowed[0];
            var wrong = Roles.All.FirstOrDefault(r => !allowed.Contains(r));
            var methods = System.Text.Json.JsonSerializer.Deserialize<string[]>(endpoint.Trigger.Json["methods"]!.ToJsonString())!;
            foreach (var method in methods.Select(m => m.ToUpperInvariant()))
            {
                async Task Expect(string who, string? token, Func<HttpStatusCode, bool> ok, string expected)
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), path);
                    if (method is "POST" or "PUT")
                    {
                        request.Content = JsonContent.Create(new { });
                    }

                    if (token is not null)
                    {
                        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    }

                    using var response = await _app.Http.SendAsync(request);
                    if (!ok(response.StatusCode))
                    {
                        failures.Add($"{method} {path} {who}: {(int)response.StatusCode}, expected {expected}");
                    }
                }

                await Expect("without a token", null, s => s == HttpStatusCode.Unauthorized, "401");
                await Expect("with an expired token", Token(right, DateTimeOffset.UtcNow.AddHours(-11)), s => s == HttpStatusCode.Unauthorized, "401");
                if (wrong is not null)
                {
                    await Expect($"as {wrong}", Token(wrong, DateTimeOffset.UtcNow), s => s == HttpStatusCode.Forbidden, "403");
                }

                await Expect($"as {right}", Token(right, DateTimeOffset.UtcNow),
                    hasParameters
                        ? s => s is HttpStatusCode.NotFound or HttpStatusCode.BadRequest
                        : s => s is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) && (int)s < 500,
                    hasParameters ? "404 (or 400 for the body)" : "an answer");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task Another_counsellors_conversation_and_another_agencys_referral_are_answered_exactly_like_ones_that_do_not_exist()
    {
        var now = DateTimeOffset.UtcNow;
        var conversationId = ConversationIds.New();
        await _app.Services.GetRequiredService<IConversationStore>().CreateAsync(
            new Conversation
            {
                Id = conversationId, Channel = Channels.Sms, Language = "ro", CallerPseudonym = "p-aaaaaaaaaaaaaaaaaaaaaaaa",
                Status = ConversationStatus.Active, AssignedTo = "ana", CreatedAt = now, LastMessageAt = now,
            },
            new ConversationMessage("0123456789abcdef", MessageDirection.Inbound, new SensitiveText("Bună ziua"), now), null);
        var referralId = Referral.NewId();
        await _app.Services.GetRequiredService<IReferralStore>().CreateAsync(
            new Referral { Id = referralId, EscalationId = "e-00000000000000000000", AgencyId = "la-strada", CreatedAt = now });
        var missingConversation = ConversationIds.New();
        var missingReferral = Referral.NewId();

        using var oksana = await StaffTokens.ClientForAsync(_app, "oksana", "counsellor");
        var calls = new (HttpMethod Method, string Path, object? Body)[]
        {
            (HttpMethod.Get, "", null), (HttpMethod.Post, "/accept", null), (HttpMethod.Post, "/messages", new { text = "hi" }),
            (HttpMethod.Post, "/close", null), (HttpMethod.Post, "/transfer", new { language = "uk" }),
            (HttpMethod.Put, "/intake", new { callerApproved = true }), (HttpMethod.Post, "/emergency", new { }),
        };
        foreach (var (method, path, body) in calls)
        {
            var someoneElses = await AnswerAsync(oksana, method, $"/api/conversations/{conversationId}{path}", body);
            var missing = await AnswerAsync(oksana, method, $"/api/conversations/{missingConversation}{path}", body);
            Assert.Equal((HttpStatusCode.NotFound, missing.Detail), (someoneElses.Status, someoneElses.Detail));
            Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        }

        using var otherAgency = await StaffTokens.ClientForAsync(_app, "other-agency", "partner");
        var anothers = await AnswerAsync(otherAgency, HttpMethod.Get, $"/api/referrals/{referralId}", null);
        var none = await AnswerAsync(otherAgency, HttpMethod.Get, $"/api/referrals/{missingReferral}", null);
        Assert.Equal((HttpStatusCode.NotFound, none.Detail), (anothers.Status, anothers.Detail));
        Assert.Equal(HttpStatusCode.NotFound, none.Status);

        // The assignee, the addressed agency and a supervisor still see them.
        using var ana = await StaffTokens.ClientForAsync(_app, "ana", "counsellor");
        using var laStrada = await StaffTokens.ClientForAsync(_app, "la-strada", "partner");
        using var sam = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        Assert.Equal(HttpStatusCode.OK, (await ana.GetAsync(new Uri($"/api/conversations/{conversationId}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await laStrada.GetAsync(new Uri($"/api/referrals/{referralId}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await sam.GetAsync(new Uri($"/api/conversations/{conversationId}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await sam.GetAsync(new Uri($"/api/referrals/{referralId}", UriKind.Relative))).StatusCode);
    }

    private static async Task<(HttpStatusCode Status, string? Detail)> AnswerAsync(HttpClient client, HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var detail = text.Length > 0 ? System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString() : null;
        return (response.StatusCode, detail);
    }

    [Fact]
    public async Task An_acknowledgement_with_a_signature_that_does_not_verify_is_401_whatever_the_id()
    {
        var body = """{"referralId":"r-00000000000000000000"}""";
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/referrals/{UnknownId}/ack")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(StandardWebhooks.IdHeader, "ack-1");
        request.Headers.Add(StandardWebhooks.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(StandardWebhooks.SignatureHeader, StandardWebhooks.Sign("whsec_" + Convert.ToBase64String(new byte[32]), "ack-1", timestamp, body));

        using var response = await _app.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("signed with your agency's webhook secret", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    // The roles the endpoint's authorization admits (every role requirement must hold), and whether it names any.
    /// <summary>The roles the function's declared authorization lets in (declared once per class or on the method).</summary>
    private async Task<(List<string> Allowed, bool Declared)> AllowedRolesAsync(string function)
    {
        var method = FunctionMethods.All[function];
        var policy = await AuthorizationPolicy.CombineAsync(
            _app.Services.GetRequiredService<IAuthorizationPolicyProvider>(), FunctionMethods.Declared<AuthorizeAttribute>(method));
        var requirements = policy?.Requirements.OfType<RolesAuthorizationRequirement>().ToList() ?? [];
        var allowed = Roles.All.Where(r => requirements.All(q => q.AllowedRoles.Contains(r))).ToList();
        return (allowed, requirements.Count > 0 && allowed.Count > 0 && !FunctionMethods.Declared<AllowAnonymousAttribute>(method).Any());
    }

    private string Token(string role, DateTimeOffset issuedAt) =>
        new DevTokenIssuer(_app.Services.GetRequiredService<ISecretStore>(), new Microsoft.Extensions.Time.Testing.FakeTimeProvider(issuedAt))
            .Issue(role == Roles.Partner ? "la-strada" : "sam", [role]);
}

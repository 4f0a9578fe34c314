using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Threading.RateLimiting;
using Hotline.Conversations;
using Hotline.Functions.Configuration;
using Hotline.Functions.Hosting;
using Hotline.Functions.Routing;
using Hotline.Functions.Sms;
using Hotline.Messaging;
using Hotline.Privacy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.RateLimiting;

namespace Hotline.Functions.Chat;

/// <summary>
/// The anonymous web chat's API. A session is a random token the page keeps in memory only and sends in the
/// <c>X-Chat-Session</c> header; the hotline knows it only as a pseudonym. The caller's messages go through the same
/// intake as SMS; the page polls for the counsellor's replies. Sessions and messages are rate-limited.
/// </summary>
public static partial class ChatEndpoints
{
    public const string SessionHeader = "X-Chat-Session";
    public const string EntryPoint = "web-chat";
    private const string SessionStartLimit = "chat-session-start";
    private const string MessageLimit = "chat-message";
    private const string PollLimit = "chat-poll";
    private static readonly HashSet<string> RightToLeft = new(StringComparer.OrdinalIgnoreCase) { "ar", "he", "fa", "ur" };

    public static IServiceCollection AddChat(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(ChatSettings.Read(configuration));
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = async (context, ct) =>
                await Results.Problem("Too many requests from this chat; wait a moment, then try again.", statusCode: 429)
                    .ExecuteAsync(context.HttpContext);
            // New sessions per client address; messages and polls per session.
            options.AddPolicy(SessionStartLimit, http => RateLimitPartition.GetFixedWindowLimiter(
                ClientAddress(http), _ => new FixedWindowRateLimiterOptions { PermitLimit = 20, Window = TimeSpan.FromMinutes(1) }));
            options.AddPolicy(MessageLimit, http => RateLimitPartition.GetTokenBucketLimiter(
                SessionOf(http) ?? ClientAddress(http), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = 10, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromSeconds(3), QueueLimit = 0,
                }));
            options.AddPolicy(PollLimit, http => RateLimitPartition.GetFixedWindowLimiter(
                SessionOf(http) ?? ClientAddress(http), _ => new FixedWindowRateLimiterOptions { PermitLimit = 120, Window = TimeSpan.FromMinutes(1) }));
        });
        return services;
    }

    public static IEndpointRouteBuilder MapChat(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/chat").AllowAnonymous().DisableAntiforgery();
        api.MapGet("/texts/{language}", Texts).AsFunction("ChatTexts");
        api.MapPost("/sessions", StartSession).RequireRateLimiting(SessionStartLimit).AsFunction("ChatSessionStart");
        api.MapPost("/messages", SendAsync).RequireRateLimiting(MessageLimit).AsFunction("ChatSend");
        api.MapGet("/messages", PollAsync).RequireRateLimiting(PollLimit).AsFunction("ChatPoll");
        api.MapPost("/leave", LeaveAsync).RequireRateLimiting(MessageLimit).AsFunction("ChatLeave");
        return app;
    }

    /// <summary>Everything the page shows, in one language, and the languages it can switch to.</summary>
    internal static Results<Ok<ChatTexts>, ProblemHttpResult> Texts(
        string language, CallerTexts texts, LanguageSettings languages, ChatSettings chat, SmsSettings sms)
    {
        var offered = languages.Supported.Where(texts.Has).ToList();
        if (!offered.Contains(language, StringComparer.OrdinalIgnoreCase))
        {
            return TypedResults.Problem($"'{language}' is not a language of this hotline.", statusCode: 404);
        }

        language = language.ToLowerInvariant();
        var values = new Dictionary<string, string>
        {
            ["Limit"] = ChatSettings.MaxMessageCharacters.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["EmergencyNumber"] = sms.EmergencyNumber,
            ["Language"] = texts.LanguageName(language),
        };
        var pageTexts = Enum.GetValues<CallerText>()
            .Where(t => t.ToString().StartsWith("Chat", StringComparison.Ordinal))
            .ToDictionary(t => char.ToLowerInvariant(t.ToString()[4]) + t.ToString()[5..], t => texts.Get(language, t, values));
        return TypedResults.Ok(new ChatTexts(
            language,
            RightToLeft.Contains(language) ? "rtl" : "ltr",
            offered.Select(code => new ChatLanguage(code, texts.LanguageName(code))).ToList(),
            pageTexts,
            chat.QuickExitUrl.ToString(),
            ChatSettings.MaxMessageCharacters));
    }

    /// <summary>A new anonymous session: nothing is stored until the first message.</summary>
    internal static Ok<ChatSession> StartSession() =>
        TypedResults.Ok(new ChatSession(Base64Url(RandomNumberGenerator.GetBytes(32))));

    internal static async Task<Results<Ok<ChatSendResult>, ProblemHttpResult>> SendAsync(
        HttpRequest request, ChatMessageRequest? body, InboundMessageHandler handler, ImmediateRouter router, TimeProvider time,
        CancellationToken ct)
    {
        if (SessionOf(request.HttpContext) is not { } session)
        {
            return Problem(401, $"The '{SessionHeader}' header is missing or malformed: start a session first.");
        }

        var text = body?.Text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return Problem(400, "'text' is required.");
        }

        if (text.Length > ChatSettings.MaxMessageCharacters)
        {
            return Problem(400, $"'text' is longer than {ChatSettings.MaxMessageCharacters} characters.");
        }

        if (body!.Id is null || !MessageIdPattern().IsMatch(body.Id))
        {
            return Problem(400, "'id' must be 16 to 32 lower-case hexadecimal characters, new for each message.");
        }

        var outcome = await handler.HandleAsync(
            new InboundMessage(Channels.Chat, "chat-" + body.Id, session, EntryPoint, new SensitiveText(text), time.GetUtcNow(), body.Language), ct);
        if (outcome is { NeedsRouting: true, ConversationId: { } id })
        {
            router.Request(id);
        }

        return TypedResults.Ok(new ChatSendResult(outcome.Reply));
    }

    /// <summary>The session's conversation since <paramref name="after"/>: the caller's messages and the replies.</summary>
    internal static async Task<Results<Ok<ChatPollResult>, ProblemHttpResult>> PollAsync(
        HttpRequest request, DateTimeOffset? after, IConversationStore store, CallerPseudonymizer pseudonymizer, CancellationToken ct)
    {
        if (SessionOf(request.HttpContext) is not { } session)
        {
            return Problem(401, $"The '{SessionHeader}' header is missing or malformed: start a session first.");
        }

        var conversation = await OpenConversationAsync(session, store, pseudonymizer, ct);
        if (conversation is null)
        {
            return TypedResults.Ok(new ChatPollResult("none", []));
        }

        var messages = (await store.MessagesAsync(conversation.Id, ct))
            .Where(m => after is null || m.At > after)
            .Select(m => new ChatMessageView(m.Id, m.Direction == MessageDirection.Inbound ? "in" : "out", m.Text.Reveal(), m.At))
            .ToList();
        return TypedResults.Ok(new ChatPollResult(conversation.Reachable ? "open" : "left", messages));
    }

    /// <summary>The caller ended the chat: the counsellor sees they left and can no longer be answered.</summary>
    internal static async Task<Results<NoContent, ProblemHttpResult>> LeaveAsync(
        HttpRequest request, IConversationStore store, CallerPseudonymizer pseudonymizer, TimeProvider time, CancellationToken ct)
    {
        if (SessionOf(request.HttpContext) is not { } session)
        {
            return Problem(401, $"The '{SessionHeader}' header is missing or malformed.");
        }

        for (var attempt = 0; attempt < 5; attempt++)
        {
            var conversation = await OpenConversationAsync(session, store, pseudonymizer, ct);
            if (conversation is not { Reachable: true })
            {
                break;
            }

            var left = conversation with
            {
                Reachable = false,
                Hops = [.. conversation.Hops, new RoutingHop(time.GetUtcNow(), null, "caller left the chat")],
            };
            if (await store.TryUpdateAsync(left, ct))
            {
                break;
            }
        }

        return TypedResults.NoContent();
    }

    private static async Task<Conversation?> OpenConversationAsync(
        string session, IConversationStore store, CallerPseudonymizer pseudonymizer, CancellationToken ct)
    {
        var caller = await store.FindCallerAsync(await pseudonymizer.PseudonymOfSessionAsync(session, ct), ct);
        return caller?.OpenConversationId is { } id && await store.FindAsync(id, ct) is { IsOpen: true } open ? open : null;
    }

    private static string? SessionOf(HttpContext http) =>
        http.Request.Headers[SessionHeader].ToString() is { } value && SessionPattern().IsMatch(value) ? value : null;

    // Behind the Functions host the caller's address arrives in X-Forwarded-For.
    private static string ClientAddress(HttpContext http) =>
        http.Request.Headers["X-Forwarded-For"].ToString().Split(',')[0].Trim() is { Length: > 0 } forwarded
            ? forwarded
            : http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static ProblemHttpResult Problem(int status, string reason) => TypedResults.Problem(reason, statusCode: status);

    [GeneratedRegex("^[A-Za-z0-9_-]{43}$")]
    private static partial Regex SessionPattern();

    [GeneratedRegex("^[0-9a-f]{16,32}$")]
    private static partial Regex MessageIdPattern();
}

public sealed record ChatLanguage(string Code, string Name);

public sealed record ChatTexts(
    string Language, string Direction, IReadOnlyList<ChatLanguage> Languages, IReadOnlyDictionary<string, string> Texts,
    string QuickExitUrl, int MaxLength);

public sealed record ChatSession(string Token);

public sealed record ChatMessageRequest(string? Id, string? Text, string? Language);

public sealed record ChatSendResult(string? Reply);

public sealed record ChatMessageView(string Id, string Direction, string Text, DateTimeOffset At);

/// <param name="Status"><c>none</c> (no open conversation: not started, or ended by the counsellor), <c>open</c>, or <c>left</c>.</param>
public sealed record ChatPollResult(string Status, IReadOnlyList<ChatMessageView> Messages);

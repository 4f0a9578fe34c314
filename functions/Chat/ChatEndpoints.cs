using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using System.Threading.RateLimiting;
using Hotline.Callbacks;
using Hotline.Conversations;
using Hotline.Functions.Configuration;
using Hotline.Functions.Hosting;
using Hotline.Functions.Routing;
using Hotline.Functions.Sms;
using Hotline.Messaging;
using Hotline.Privacy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hotline.Functions.Chat;

/// <summary>
/// The anonymous web chat's API. A session is a random token the page keeps in memory only and sends in the
/// <c>X-Chat-Session</c> header; the hotline knows it only as a pseudonym. The caller's messages go through the same
/// intake as SMS; the page polls for the counsellor's replies. Sessions and messages are rate-limited, new
/// conversations have a ceiling for the whole hotline, and a session ends when the caller leaves or its time is up.
/// </summary>
public static partial class ChatEndpoints
{
    public const string SessionHeader = "X-Chat-Session";
    public const string EntryPoint = "web-chat";
    internal const string SessionStartLimit = "chat-session-start";
    internal const string MessageLimit = "chat-message";
    internal const string PollLimit = "chat-poll";
    internal const string LeaveLimit = "chat-leave";
    internal const string CallbackLimit = "chat-callback";
    internal const int MaxCallbackNumberCharacters = 40;
    internal const int MaxCallbackWhenCharacters = 200;
    internal const int MaxCodeWordCharacters = 40;
    private static readonly TimeSpan ClosedStaysReadable = TimeSpan.FromMinutes(10);
    private static readonly HashSet<string> RightToLeft = new(StringComparer.OrdinalIgnoreCase) { "ar", "he", "fa", "ur" };

    public static IServiceCollection AddChat(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = ChatSettings.Read(configuration);
        services.AddSingleton(settings);
        services.AddSecret(ChatSessions.KeySecret);
        services.AddSingleton<ChatSessions>();
        services.AddSingleton<ChatSessionRecords>();
        services.AddSingleton(new NewConversationCeiling(settings.NewConversationsPerMinute));
        // The client's address: the Functions host, on loopback, sets X-Forwarded-For to the address it had the
        // request from (replacing whatever the caller sent), and the worker's forwarded-headers middleware, which
        // trusts loopback only, makes it the connection's remote address.
        // Its debug lines name addresses.
        services.AddLogging(logging => logging.AddFilter("Microsoft.AspNetCore.HttpOverrides", LogLevel.Warning));
        // New sessions per client address; messages and polls per session (partitioned by the header as sent: an
        // invented token gets a bucket of its own, then a 401). Leaving has its own generous allowance: a caller who
        // wrote fast must still be able to leave at once.
        const string refused = "Too many requests from this chat; wait a moment, then try again.";
        services.AddSingleton(new RateLimitPolicies()
            .Add(SessionStartLimit, http => RateLimitPartition.GetFixedWindowLimiter(
                ClientAddress(http), _ => new FixedWindowRateLimiterOptions { PermitLimit = 20, Window = TimeSpan.FromMinutes(1) }), refused)
            .Add(MessageLimit, http => RateLimitPartition.GetTokenBucketLimiter(
                SessionHeaderOf(http) ?? ClientAddress(http), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = 10, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromSeconds(3), QueueLimit = 0,
                }), refused)
            .Add(PollLimit, http => RateLimitPartition.GetFixedWindowLimiter(
                SessionHeaderOf(http) ?? ClientAddress(http), _ => new FixedWindowRateLimiterOptions { PermitLimit = 120, Window = TimeSpan.FromMinutes(1) }), refused)
            .Add(LeaveLimit, http => RateLimitPartition.GetFixedWindowLimiter(
                SessionHeaderOf(http) ?? ClientAddress(http), _ => new FixedWindowRateLimiterOptions { PermitLimit = 30, Window = TimeSpan.FromMinutes(1) }), refused)
            // Enough to correct a number or a time several times; a flood of requests is not a caller.
            .Add(CallbackLimit, http => RateLimitPartition.GetFixedWindowLimiter(
                SessionHeaderOf(http) ?? ClientAddress(http), _ => new FixedWindowRateLimiterOptions { PermitLimit = 10, Window = TimeSpan.FromMinutes(1) }), refused));
        return services;
    }

    /// <summary>Everything the page shows, in one language, and the languages it can switch to.</summary>
    internal static Results<Ok<ChatTexts>, ProblemHttpResult> Texts(
        string language, CallerTexts texts, LanguageSettings languages, ChatSettings chat, SmsSettings sms, SafeWindowParser parser)
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
            ChatSettings.MaxMessageCharacters,
            new Dictionary<string, string>
            {
                // Hours, so a quick choice reads the same in every language.
                ["morning"] = Hours(parser.Hours.Morning),
                ["afternoon"] = Hours(parser.Hours.Afternoon),
                ["evening"] = Hours(parser.Hours.Evening),
            }));
    }

    private static string Hours(DayHours hours) => $"{(int)hours.Start.TotalHours}-{(int)hours.End.TotalHours}";

    /// <summary>A new anonymous session: nothing is stored until the first message.</summary>
    internal static async Task<Ok<ChatSession>> StartSessionAsync(ChatSessions sessions, CancellationToken ct) =>
        TypedResults.Ok(new ChatSession(await sessions.IssueAsync(ct)));

    internal static async Task<Results<Ok<ChatSendResult>, ProblemHttpResult>> SendAsync(
        HttpRequest request, ChatMessageRequest? body, InboundMessageHandler handler, ImmediateRouter router, ChatSessions sessions,
        ChatSessionRecords records, IConversationStore store, CallerPseudonymizer pseudonymizer, NewConversationCeiling ceiling,
        CallerTexts texts, SmsSettings sms, TimeProvider time, CancellationToken ct)
    {
        var (check, refused) = await AuthenticateAsync(request.HttpContext, sessions, records, pseudonymizer, ct);
        if (refused is not null)
        {
            return refused;
        }

        var session = check.Token!;

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

        var pseudonym = await pseudonymizer.PseudonymOfSessionAsync(session, ct);
        if (await store.FindCallerAsync(pseudonym, ct) is not { OpenConversationId: not null })
        {
            // This message starts a conversation. A block on a chat caller holds against new sessions from the same
            // address: dropped unanswered, as the blocked caller's own messages are.
            var address = await pseudonymizer.PseudonymOfClientAddressAsync(ClientAddress(request.HttpContext), ct);
            if (await records.IsAddressBlockedAsync(address, ct))
            {
                return TypedResults.Ok(new ChatSendResult(null));
            }

            if (!ceiling.TryAdmit())
            {
                request.HttpContext.Response.Headers.RetryAfter = "60";
                return Problem(503, "The chat is taking in more new conversations than its counsellors can answer; wait a minute, then try again.");
            }

            await records.RecordAddressAsync(pseudonym, address, check.Expires, ct);
            await records.PurgeIfDueAsync(ct);
        }

        var outcome = await handler.HandleAsync(
            new InboundMessage(Channels.Chat, "chat-" + body.Id, session, EntryPoint, new SensitiveText(text), time.GetUtcNow(), body.Language), ct);
        if (outcome is { NeedsRouting: true, ConversationId: { } id })
        {
            router.Request(id, outcome.RoutingFallback);
        }

        return TypedResults.Ok(new ChatSendResult(outcome.Reply, outcome.Reply is { } reply && IsOutOfHours(reply, texts, sms)));
    }

    /// <summary>The reply is the out-of-hours answer (in any language): nobody can answer now, so a callback is offered.</summary>
    private static bool IsOutOfHours(string reply, CallerTexts texts, SmsSettings sms)
    {
        var values = new Dictionary<string, string> { ["EmergencyNumber"] = sms.EmergencyNumber };
        return texts.Languages.Any(language => string.Equals(reply, texts.Get(language, CallerText.ChatOutOfHours, values), StringComparison.Ordinal));
    }

    /// <summary>
    /// The caller asks to be called back, from the form on the page. Her number and code word go to the callback
    /// intake (and from there only to the callback secrets), never into the conversation, a log or the answer; a
    /// refusal says why in her language, without repeating them. The page's request id makes a resent form ask once.
    /// </summary>
    internal static async Task<Results<Ok<ChatCallbackResult>, ProblemHttpResult>> CallbackAsync(
        HttpRequest request, ChatCallbackRequest? body, ChatSessions sessions, ChatSessionRecords records, IConversationStore store,
        CallerPseudonymizer pseudonymizer, CallbackIntake intake, CallerTexts texts, ChatSettings chat, CancellationToken ct)
    {
        var (check, refused) = await AuthenticateAsync(request.HttpContext, sessions, records, pseudonymizer, ct);
        if (refused is not null)
        {
            return refused;
        }

        if (body?.Id is null || !MessageIdPattern().IsMatch(body.Id))
        {
            return Problem(400, "'id' must be 16 to 32 lower-case hexadecimal characters, the same when the form is sent again.");
        }

        if (body.Number?.Length > MaxCallbackNumberCharacters || body.When?.Length > MaxCallbackWhenCharacters
            || body.CodeWord?.Length > MaxCodeWordCharacters)
        {
            return Problem(400, $"'number' and 'codeWord' are at most {MaxCallbackNumberCharacters} characters, 'when' at most {MaxCallbackWhenCharacters}.");
        }

        var conversation = await OpenConversationAsync(check.Token!, store, pseudonymizer, ct);
        var language = body.Language is { } chosen && texts.Has(chosen) ? chosen.ToLowerInvariant() : conversation?.Language ?? CallerTexts.FallbackLanguage;
        if (conversation is null)
        {
            return Refused(409, CallerText.ChatCallbackNoChat, null);
        }

        var number = CallbackNumber.Read(body.Number, chat.PhoneRegion, ownNumber: null);
        if (!number.IsValid)
        {
            return Refused(400, NumberProblem(number.Issue), "number");
        }

        var when = intake.ReadWindows(body.When, language);
        if (!when.Understood)
        {
            return Refused(400, when.Problem == SafeWindowProblem.NoTimeLeft ? CallerText.ChatCallbackWhenPassed : CallerText.ChatCallbackWhenNotUnderstood, "when");
        }

        var codeWord = body.CodeWord?.Trim() is { Length: > 0 } word ? word : null;
        var asked = await intake.RequestAsync(
            conversation.Id, Channels.Chat, "chat-callback-" + body.Id,
            new CallbackAsk(number.E164!, when.Windows, body.MayLeaveMessage ?? false, codeWord), ct);
        return asked switch
        {
            { Request: { } made } => TypedResults.Ok(new ChatCallbackResult(texts.Get(
                language, CallerText.ChatCallbackSent, new Dictionary<string, string> { ["Windows"] = intake.Describe(made.Windows, language) }))),
            { Problem: CallbackAskProblem.NoWindow } => Refused(400, CallerText.ChatCallbackWhenPassed, "when"),
            _ => Refused(409, CallerText.ChatCallbackNoChat, null),
        };

        ProblemHttpResult Refused(int status, CallerText reason, string? field) => TypedResults.Problem(
            texts.Get(language, reason), statusCode: status,
            extensions: field is null ? null : new Dictionary<string, object?> { ["field"] = field });
    }

    /// <summary>
    /// What to tell her about a number <see cref="CallbackNumber"/> refused, in her language, by the kind of problem.
    /// </summary>
    internal static CallerText NumberProblem(CallbackNumberIssue? issue) => issue switch
    {
        CallbackNumberIssue.Missing => CallerText.ChatCallbackNumberMissing,
        CallbackNumberIssue.UnknownCountryCode => CallerText.ChatCallbackNumberCountryCode,
        CallbackNumberIssue.NotPersonal => CallerText.ChatCallbackNumberNotPersonal,
        _ => CallerText.ChatCallbackNumberCheck, // too short, too long, letters, digits not in use in its country
    };

    /// <summary>
    /// The session's conversation since <paramref name="after"/>: the caller's messages and the replies. A conversation
    /// the counsellor closed stays readable for a while, so their last words still reach the page.
    /// </summary>
    internal static async Task<Results<Ok<ChatPollResult>, ProblemHttpResult>> PollAsync(
        HttpRequest request, DateTimeOffset? after, IConversationStore store, CallerPseudonymizer pseudonymizer, ChatSessions sessions,
        ChatSessionRecords records, TimeProvider time, CancellationToken ct)
    {
        var (check, refused) = await AuthenticateAsync(request.HttpContext, sessions, records, pseudonymizer, ct);
        if (refused is not null)
        {
            return refused;
        }

        var caller = await store.FindCallerAsync(await pseudonymizer.PseudonymOfSessionAsync(check.Token!, ct), ct);
        var conversation = caller?.OpenConversationId is { } openId ? await store.FindAsync(openId, ct)
            : caller?.LastConversationId is { } lastId ? await store.FindAsync(lastId, ct)
            : null;
        if (conversation is null || (!conversation.IsOpen && conversation.ClosedAt < time.GetUtcNow() - ClosedStaysReadable))
        {
            return TypedResults.Ok(new ChatPollResult("none", []));
        }

        var messages = (await store.MessagesAsync(conversation.Id, ct))
            .Where(m => after is null || m.At > after)
            .Select(m => new ChatMessageView(m.Id, m.Direction == MessageDirection.Inbound ? "in" : "out", m.Text.Reveal(), m.At))
            .ToList();
        var status = !conversation.IsOpen ? "closed" : conversation.Reachable ? "open" : "left";
        return TypedResults.Ok(new ChatPollResult(status, messages));
    }

    /// <summary>
    /// The caller ended the chat (or left the page). A conversation nobody accepted yet is closed, so it takes no
    /// counsellor's time; one in progress stays with its counsellor, who sees the caller left and can no longer reply.
    /// The session ends with it: its token is refused from then on. Leaving again, or with a token whose time is up,
    /// does no harm and answers the same.
    /// </summary>
    internal static async Task<Results<NoContent, ProblemHttpResult>> LeaveAsync(
        HttpRequest request, IConversationStore store, CallerPseudonymizer pseudonymizer, ChatSessions sessions,
        ChatSessionRecords records, ConversationCloser closer, TimeProvider time, CancellationToken ct)
    {
        var check = await sessions.CheckAsync(SessionHeaderOf(request.HttpContext), ct);
        if (check.Token is not { } session)
        {
            return Problem(401, $"The '{SessionHeader}' header is missing or not a session of this hotline.");
        }

        if (!check.Expired)
        {
            // First, so a caller whose conversation cannot be updated is still gone for good.
            await records.RevokeAsync(await pseudonymizer.PseudonymOfSessionAsync(session, ct), check.Expires, ct);
        }

        for (var attempt = 0; attempt < 5; attempt++)
        {
            var conversation = await OpenConversationAsync(session, store, pseudonymizer, ct);
            if (conversation is not { Reachable: true })
            {
                return TypedResults.NoContent();
            }

            if (conversation.Status is not ConversationStatus.Active)
            {
                return await closer.CloseAsync(conversation, null, "closed: caller left before anyone answered", ct) is not null
                    ? TypedResults.NoContent()
                    : Problem(409, "The conversation kept changing; try again.");
            }

            var left = conversation with
            {
                Reachable = false,
                Hops = [.. conversation.Hops, new RoutingHop(time.GetUtcNow(), null, "caller left the chat")],
            };
            if (await store.TryUpdateAsync(left, ct))
            {
                return TypedResults.NoContent();
            }
        }

        return Problem(409, "The conversation kept changing; try again.");
    }

    private static async Task<Conversation?> OpenConversationAsync(
        string session, IConversationStore store, CallerPseudonymizer pseudonymizer, CancellationToken ct)
    {
        var caller = await store.FindCallerAsync(await pseudonymizer.PseudonymOfSessionAsync(session, ct), ct);
        return caller?.OpenConversationId is { } id && await store.FindAsync(id, ct) is { IsOpen: true } open ? open : null;
    }

    /// <summary>The session the request names, or the 401 that says why it is not accepted.</summary>
    private static async Task<(ChatSessionCheck Check, ProblemHttpResult? Refused)> AuthenticateAsync(
        HttpContext http, ChatSessions sessions, ChatSessionRecords records, CallerPseudonymizer pseudonymizer, CancellationToken ct)
    {
        var check = await sessions.CheckAsync(SessionHeaderOf(http), ct);
        ProblemHttpResult? refused = check switch
        {
            { Token: null } => Problem(401, $"The '{SessionHeader}' header is missing or not a session of this hotline: start a session first."),
            { Expired: true } => Problem(401, "This chat session has expired: start a new one."),
            _ when await records.IsRevokedAsync(await pseudonymizer.PseudonymOfSessionAsync(check.Token, ct), ct) =>
                Problem(401, "This chat session has ended (the caller left): start a new one."),
            _ => null,
        };
        return (check, refused);
    }

    private static string? SessionHeaderOf(HttpContext http) =>
        http.Request.Headers[SessionHeader].ToString() is { Length: > 0 and <= 64 } value ? value : null;

    // The connection's remote address, which the forwarded-headers middleware has replaced with the client's address
    // as the Functions host gave it. An IPv6 client counts by its /64 network, which one
    // device or household holds whole, so it cannot step round the limits or a block by changing its last bits.
    internal static string ClientAddress(HttpContext http)
    {
        if (http.Connection.RemoteIpAddress is not { } address)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    private static ProblemHttpResult Problem(int status, string reason) => TypedResults.Problem(reason, statusCode: status);

    [GeneratedRegex("^[0-9a-f]{16,32}$")]
    private static partial Regex MessageIdPattern();
}

public sealed record ChatLanguage(string Code, string Name);

/// <param name="CallbackTimes">What each quick choice of the callback form writes for when it is safe (morning, afternoon, evening).</param>
public sealed record ChatTexts(
    string Language, string Direction, IReadOnlyList<ChatLanguage> Languages, IReadOnlyDictionary<string, string> Texts,
    string QuickExitUrl, int MaxLength, IReadOnlyDictionary<string, string> CallbackTimes);

public sealed record ChatSession(string Token);

public sealed record ChatMessageRequest(string? Id, string? Text, string? Language);

/// <param name="OfferCallback">The reply says nobody can answer now: the page offers a callback.</param>
public sealed record ChatSendResult(string? Reply, bool OfferCallback = false);

/// <param name="Id">Made by the page for this request, and sent again unchanged when the form is resent.</param>
/// <param name="Number">The number to call her on (required: the chat has no number of its own).</param>
/// <param name="When">Her words for when it is safe, e.g. "after 20", "tomorrow morning".</param>
public sealed record ChatCallbackRequest(string? Id, string? Number, string? When, bool? MayLeaveMessage, string? CodeWord, string? Language);

/// <param name="Confirmation">A discreet confirmation in her language that says her times back (never her number or code word).</param>
public sealed record ChatCallbackResult(string Confirmation);

public sealed record ChatMessageView(string Id, string Direction, string Text, DateTimeOffset At);

/// <param name="Status"><c>none</c> (no open conversation: not started, or ended by the counsellor), <c>open</c>, or <c>left</c>.</param>
public sealed record ChatPollResult(string Status, IReadOnlyList<ChatMessageView> Messages);

using Hotline.Callbacks;
using Hotline.Conversations;
using Hotline.Functions.Configuration;
using Hotline.Functions.Hosting;
using Hotline.Functions.Routing;
using Hotline.Functions.Sms;
using Hotline.Messaging;
using Hotline.Privacy;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Chat;

/// <summary>The anonymous web chat's API: no sign-in; the session token is the caller's only credential, and every call is rate-limited.</summary>
[AllowAnonymous]
public sealed class ChatFunctions(
    CallerTexts texts, LanguageSettings languages, ChatSettings chat, SmsSettings sms, ChatSessions sessions, ChatSessionRecords records,
    InboundMessageHandler handler, ImmediateRouter router, IConversationStore store, CallerPseudonymizer pseudonymizer,
    NewConversationCeiling ceiling, ConversationCloser closer, CallbackIntake callbacks, SafeWindowParser safeTimes, TimeProvider time)
{
    [Function("ChatTexts")]
    public IResult Texts([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/chat/texts/{language}")] HttpRequest request, string language) =>
        ChatEndpoints.Texts(language, texts, languages, chat, sms, safeTimes);

    [Function("ChatSessionStart"), RateLimited(ChatEndpoints.SessionStartLimit)]
    public async Task<IResult> StartSession([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/chat/sessions")] HttpRequest request, CancellationToken ct) =>
        await ChatEndpoints.StartSessionAsync(sessions, ct);

    [Function("ChatSend"), RateLimited(ChatEndpoints.MessageLimit)]
    public async Task<IResult> Send([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/chat/messages")] HttpRequest request, CancellationToken ct) =>
        await ChatEndpoints.SendAsync(
            request, await request.ReadJsonAsync<ChatMessageRequest>(ct), handler, router, sessions, records, store, pseudonymizer, ceiling,
            texts, sms, time, ct);

    [Function("ChatPoll"), RateLimited(ChatEndpoints.PollLimit)]
    public async Task<IResult> Poll([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/chat/messages")] HttpRequest request, CancellationToken ct) =>
        await ChatEndpoints.PollAsync(request, request.Time("after"), store, pseudonymizer, sessions, records, time, ct);

    [Function("ChatCallback"), RateLimited(ChatEndpoints.CallbackLimit), RequestBodyLimit(4 * 1024)]
    public async Task<IResult> Callback([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/chat/callback")] HttpRequest request, CancellationToken ct) =>
        await ChatEndpoints.CallbackAsync(
            request, await request.ReadJsonAsync<ChatCallbackRequest>(ct), sessions, records, store, pseudonymizer, callbacks, texts, chat, ct);

    [Function("ChatLeave"), RateLimited(ChatEndpoints.LeaveLimit)]
    public async Task<IResult> Leave([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/chat/leave")] HttpRequest request, CancellationToken ct) =>
        await ChatEndpoints.LeaveAsync(request, store, pseudonymizer, sessions, records, closer, time, ct);
}

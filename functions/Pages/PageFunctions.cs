using Hotline.Functions.Auth;
using Hotline.Functions.Chat;
using Hotline.Functions.Configuration;
using Hotline.Messaging;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Pages;

/// <summary>
/// The pages and their files. All are public: the staff pages hold no data until their user signs in. The staff pages
/// redeem their sign-in code at the authority, so they may also connect there.
/// </summary>
[AllowAnonymous]
public sealed class PageFunctions(ChatSettings chat, LanguageSettings languages, CallerTexts texts, AuthSettings auth)
{
    [Function("ChatPage")]
    public IResult Chat([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "chat/{*asset}")] HttpRequest request, string? asset) =>
        new PageResult(http => PageEndpoints.ChatAsync(http, asset, chat, languages, texts));

    [Function("ConsolePage")]
    public IResult Console([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/{*asset}")] HttpRequest request, string? asset) =>
        new PageResult(http => PageEndpoints.ServeAsync(http, "console", asset, connectTo: auth.AuthorityOrigin));

    [Function("SupervisorPage")]
    public IResult Supervisor([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "supervisor/{*asset}")] HttpRequest request, string? asset) =>
        new PageResult(http => PageEndpoints.ServeAsync(http, "supervisor", asset, connectTo: auth.AuthorityOrigin));

    [Function("PartnerPage")]
    public IResult Partner([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "partner/{*asset}")] HttpRequest request, string? asset) =>
        new PageResult(http => PageEndpoints.ServeAsync(http, "partner", asset, connectTo: auth.AuthorityOrigin));
}

/// <summary>An answer written straight to the response (a page file, sent as it is on disk).</summary>
public sealed class PageResult(Func<HttpContext, Task> write) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext) => write(httpContext);
}

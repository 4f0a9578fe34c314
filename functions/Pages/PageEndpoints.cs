using System.Net;
using Hotline.Functions.Auth;
using Hotline.Functions.Chat;
using Hotline.Functions.Configuration;
using Hotline.Functions.Hosting;
using Hotline.Messaging;

namespace Hotline.Functions.Pages;

/// <summary>
/// The three web pages: the caller's chat (<c>/chat</c>, no sign-in), the counsellor console (<c>/console</c>) and the
/// supervisor board (<c>/supervisor</c>). Plain files from <c>Pages/wwwroot</c>, served with a strict Content
/// Security Policy (own scripts and styles only, no inline script, nothing from elsewhere). Data comes from the API.
/// </summary>
public static class PageEndpoints
{
    // The console plays a voicemail from memory (a blob the page fetched with its token); no other page plays media.
    private static string ContentSecurityPolicy(string? alsoConnectTo, bool blobMedia) =>
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'" +
        (alsoConnectTo is null ? "" : " " + alsoConnectTo) + (blobMedia ? "; media-src blob:" : "") +
        "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    internal static async Task ChatAsync(HttpContext http, string? asset, ChatSettings chat, LanguageSettings languages, CallerTexts texts)
    {
        if (asset == "icon")
        {
            Secure(http.Response, cache: false);
            if (chat.IconFile is { } icon)
            {
                http.Response.ContentType = ChatSettings.IconTypes[Path.GetExtension(icon).ToLowerInvariant()];
                await http.Response.SendFileAsync(icon);
                return;
            }

            asset = "icon.svg";
        }

        // Nothing of the chat is kept in the browser's cache: the page, like the conversation, leaves no trace.
        await ServeAsync(http, "chat", asset, cache: false, fill: html => html
            .Replace("{{PageTitle}}", WebUtility.HtmlEncode(chat.PageTitle), StringComparison.Ordinal)
            .Replace("{{QuickExitUrl}}", WebUtility.HtmlEncode(chat.QuickExitUrl.ToString()), StringComparison.Ordinal)
            .Replace("{{Languages}}", WebUtility.HtmlEncode(string.Join(',', languages.Supported.Where(texts.Has))), StringComparison.Ordinal));
    }

    internal static async Task ServeAsync(
        HttpContext http, string page, string? asset, bool cache = true, Func<string, string>? fill = null, string? connectTo = null)
    {
        var name = string.IsNullOrEmpty(asset) ? "index.html" : asset;
        if (!Path.HasExtension(name))
        {
            name += ".html"; // /supervisor/escalations is escalations.html
        }

        // Only plain file names from the page's folder, then the shared staff folder: no paths, no dot files.
        if (name.Contains('/') || name.Contains('\\') || name.StartsWith('.') || !ContentTypes.TryGetValue(Path.GetExtension(name), out var type))
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var root = Path.Combine(AppContext.BaseDirectory, "Pages", "wwwroot");
        var path = new[] { Path.Combine(root, page, name), Path.Combine(root, "staff", name) }.FirstOrDefault(File.Exists);
        if (path is null || (page == "chat" && !path.StartsWith(Path.Combine(root, "chat"), StringComparison.Ordinal)))
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        Secure(http.Response, cache && !name.EndsWith(".html", StringComparison.Ordinal), connectTo, blobMedia: page == "console");
        http.Response.ContentType = type;
        if (fill is null || type != ContentTypes[".html"])
        {
            await http.Response.SendFileAsync(path);
            return;
        }

        await http.Response.WriteAsync(fill(await File.ReadAllTextAsync(path)));
    }

    /// <summary>The headers every page and its files carry (the local SMS simulator's too).</summary>
    internal static void Secure(HttpResponse response, bool cache, string? connectTo = null, bool blobMedia = false)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy(connectTo, blobMedia);
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = cache ? "no-cache" : "no-store";
    }
}

using System.Collections.Concurrent;
using Hotline.Functions.Dev.CallFlow;
using Twilio.Security;

namespace Hotline.Tests.CallFlow;

/// <summary>
/// A small web app on loopback answering hand-written TwiML, standing in for the app's voice webhooks so the simulated
/// call itself can be tested. Every request's X-Twilio-Signature is checked with the Twilio SDK's
/// <see cref="RequestValidator"/> over the public URL; a bad one is answered 403 (which fails the simulated call).
/// </summary>
public sealed class FakeVoiceApp : IAsyncDisposable
{
    public const string AuthToken = "fake-app-auth-token";

    public static readonly Uri PublicBase = new("https://hotline.example.org");

    private readonly WebApplication _app;
    private readonly string _authToken;

    private FakeVoiceApp(WebApplication app, HttpClient http, string authToken)
    {
        _app = app;
        Http = http;
        _authToken = authToken;
    }

    /// <summary>Each request's public URL and whether its signature was valid, in arrival order.</summary>
    public ConcurrentQueue<(string Url, bool Valid)> Signatures { get; } = new();

    public HttpClient Http { get; }

    public static SimulatedCallOptions Options => new() { PublicBase = PublicBase, AuthToken = AuthToken };

    /// <summary>Starts the app with the routes <paramref name="map"/> adds.</summary>
    /// <param name="authToken">The token Twilio signs with (the running app's own, when its simulator calls this one).</param>
    public static async Task<FakeVoiceApp> StartAsync(Action<WebApplication> map, string authToken = AuthToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeVoiceApp(app, new HttpClient(), authToken);
        app.Use(fake.CheckSignatureAsync);
        map(app);
        await app.StartAsync();
        fake.Http.BaseAddress = new Uri(app.Urls.First());
        return fake;
    }

    public static IResult Twiml(string xml) => Results.Content(xml, "application/xml");

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.DisposeAsync();
    }

    private async Task CheckSignatureAsync(HttpContext context, Func<Task> next)
    {
        var request = context.Request;
        var url = PublicBase.GetLeftPart(UriPartial.Authority) + request.Path + request.QueryString;
        var parameters = request.HasFormContentType
            ? (await request.ReadFormAsync()).ToDictionary(p => p.Key, p => p.Value.ToString())
            : [];
        var valid = new RequestValidator(_authToken).Validate(url, parameters, request.Headers["X-Twilio-Signature"].ToString());
        Signatures.Enqueue((url, valid));
        if (!valid)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        await next();
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Hosting;

/// <summary>
/// What every request meets before anything else: a body is capped at 64 KiB (one declared larger is refused from its
/// length, before the function reads a byte of it, whoever sends it and whatever the function), API answers are never cached, and an unexpected failure is a
/// plain 500 problem that echoes nothing of the request, in Development too (where the framework's error page would
/// show the request's headers, a bearer token among them).
/// </summary>
public sealed class RequestHardeningTests : IAsyncLifetime
{
    private const long HugeBody = 25L * 1024 * 1024;
    private readonly FailingClock _clock = new();
    private RunningApp _app = null!;

    public async Task InitializeAsync() =>
        _app = await RunningApp.StartAsync(configure: b => b.Services.AddSingleton<TimeProvider>(_clock));

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_25_MB_chat_message_with_an_invented_token_is_refused_from_its_declared_length()
    {
        var status = await AnswerToHugeBodyAsync("/api/chat/messages", "X-Chat-Session: invented-token");

        Assert.Matches("^HTTP/1.1 (413|401) ", status);
    }

    [Fact]
    public async Task A_25_MB_unauthenticated_acknowledgement_is_refused_from_its_declared_length()
    {
        var status = await AnswerToHugeBodyAsync("/api/referrals/r-00000000000000000000/ack");

        Assert.Matches("^HTTP/1.1 (413|401) ", status);
    }

    [Fact]
    public async Task A_body_over_64_KiB_is_413_with_the_reason_whether_or_not_its_length_is_given()
    {
        var body = "{\"text\":\"" + new string('a', 70 * 1024) + "\"}";
        using var withLength = new StringContent(body, Encoding.UTF8, "application/json");
        var declared = await _app.Http.PostAsync(new Uri("/api/chat/messages", UriKind.Relative), withLength);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        Assert.Contains("larger than 65536 bytes", await declared.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Chunked: no Content-Length, so the limit is met while reading.
        using var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri("/api/roster/ana", UriKind.Relative)) { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var supervisor = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        var streamed = await supervisor.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);
        Assert.Contains("larger than 65536 bytes", await streamed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunked_megabyte_is_read_to_its_end_and_refused_with_413_and_its_reason_every_time_never_a_502()
    {
        // Answering while a large body still arrives can reset the connection under the host's proxy (a 502): the
        // rest is read and dropped first. The race is timing-dependent, so it is tried several times.
        var body = Encoding.UTF8.GetBytes("{\"name\":\"" + new string('n', 1_000_000) + "\"}");
        using var supervisor = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        for (var attempt = 0; attempt < 10; attempt++)
        {
            using var chunked = new StreamContent(new MemoryStream(body));
            chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Put, new Uri("/api/roster/ana", UriKind.Relative)) { Content = chunked };
            request.Headers.TransferEncodingChunked = true;
            var refused = await supervisor.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
            Assert.Contains("larger than 65536 bytes", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Every_api_answer_is_no_store_whatever_its_status()
    {
        using var supervisor = await StaffTokens.ClientForAsync(_app, "sam", "supervisor");
        var answers = new[]
        {
            await _app.Http.GetAsync(new Uri("/api/health", UriKind.Relative)),
            await _app.Http.GetAsync(new Uri("/api/chat/texts/en", UriKind.Relative)),
            await _app.Http.GetAsync(new Uri("/api/conversations", UriKind.Relative)),
            await supervisor.GetAsync(new Uri("/api/conversations", UriKind.Relative)),
            await supervisor.GetAsync(new Uri("/api/conversations/c-00000000000000000000", UriKind.Relative)),
            await new TwilioWebhookClient(_app).PostAsync(
                new Dictionary<string, string> { ["MessageSid"] = TwilioWebhookClient.NewMessageSid(), ["From"] = "+40721000000", ["To"] = "+1", ["Body"] = "hi" }, ""),
        };

        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.Forbidden],
            answers.Select(a => a.StatusCode));
        Assert.All(answers, a => Assert.Equal("no-store", a.Headers.CacheControl?.ToString()));
    }

    [Fact]
    public async Task An_unexpected_failure_is_a_plain_500_problem_that_echoes_no_request_header()
    {
        const string Secret = "eyJ-a-bearer-token-that-must-not-come-back";
        // A signed SMS webhook: the handler asks the time once the signature is checked.
        var form = new Dictionary<string, string>
        {
            ["MessageSid"] = TwilioWebhookClient.NewMessageSid(), ["From"] = "+40721000000", ["To"] = TwilioWebhookClient.GeneralNumber, ["Body"] = "hello",
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/twilio/sms", UriKind.Relative))
        {
            Content = new StringContent(TwilioWebhookClient.Encode(form), Encoding.ASCII, "application/x-www-form-urlencoded"),
        };
        request.Headers.Add(Hotline.Twilio.TwilioWebhookSignature.HeaderName,
            TwilioWebhookClient.Sign(RunningApp.PublicBaseUrl + "/api/twilio/sms", form, RunningApp.TwilioAuthToken));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Secret);
        request.Headers.Add("X-Probe", "probe-value-in-a-header");
        request.Headers.Accept.ParseAdd("text/html");

        _clock.Fail = true;
        HttpResponseMessage response;
        try
        {
            response = await _app.Http.SendAsync(request);
        }
        finally
        {
            _clock.Fail = false;
        }

        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);
        Assert.DoesNotContain("probe-value", body, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Probe", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("clock broke", body, StringComparison.Ordinal); // nor the exception
    }

    /// <summary>
    /// Declares a 25 MB body and sends it in 64 KiB pieces while watching for the answer's status line. The worker
    /// refuses it from the declared length; the Functions host in front streams the body on and the worker's server
    /// discards it, so the caller gets that answer, not a broken connection.
    /// </summary>
    private async Task<string> AnswerToHugeBodyAsync(string path, string? header = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(_app.BaseAddress.Host, _app.BaseAddress.Port);
        var stream = client.GetStream();
        var head = $"POST {path} HTTP/1.1\r\nHost: {_app.BaseAddress.Authority}\r\nContent-Type: application/json\r\n" +
                   $"Content-Length: {HugeBody}\r\n" + (header is null ? "" : header + "\r\n") + "\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var answer = ReadStatusLineAsync(stream);

        var piece = new byte[64 * 1024];
        Array.Fill(piece, (byte)'a');
        try
        {
            for (long sent = 0; sent < HugeBody && !answer.IsCompleted; sent += piece.Length)
            {
                using var stalled = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await stream.WriteAsync(piece, stalled.Token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            // The server stopped taking the body: the answer tells why.
        }

        return await answer.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task<string> ReadStatusLineAsync(NetworkStream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString().TrimEnd('\r');
    }

    /// <summary>The system clock, or, while <see cref="Fail"/> is set, an exception from any code that asks the time.</summary>
    private sealed class FailingClock : TimeProvider
    {
        public volatile bool Fail;

        public override DateTimeOffset GetUtcNow() => Fail ? throw new InvalidOperationException("clock broke") : base.GetUtcNow();
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Hotline.Conversations;
using Hotline.Functions.Routing;
using Hotline.Functions.Sms;
using Hotline.Messaging;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Secrets;
using Hotline.Storage;
using Hotline.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Hotline.Tests.Sms;

/// <summary>
/// Malformed inbound webhooks get a 400 (413 for a body over 64 KiB) with the reason, and nothing is stored or queued.
/// The rule for signatures: a body that is not a well-formed form (wrong content type, too large, broken escapes,
/// raw non-ASCII bytes) has no parameters to check a signature over, so it is refused as malformed whether or not
/// it is signed; a well-formed form is checked for its signature first (403 when missing or wrong) and only then
/// for its fields (400).
/// </summary>
public sealed class WebhookValidationTests(WebhookValidationTests.App fixture) : IClassFixture<WebhookValidationTests.App>
{
    private const string Caller = "+40721555777";
    private const string WrongSignature = "bm90IHRoZSBzaWduYXR1cmU=";

    [Theory]
    [InlineData("missing From", 400, "'From' is required")]
    [InlineData("missing To", 400, "'To' is required")]
    [InlineData("missing Body", 400, "'Body' is required")]
    [InlineData("JSON content type", 400, "expected an application/x-www-form-urlencoded body")]
    [InlineData("no content type", 400, "expected an application/x-www-form-urlencoded body")]
    [InlineData("broken percent-escape", 400, "broken percent-escape")]
    [InlineData("percent-escape with a space", 400, "broken percent-escape")]
    [InlineData("truncated percent-escape", 400, "broken percent-escape")]
    [InlineData("raw non-ASCII byte", 400, "URL-encoded ASCII")]
    [InlineData("body over 64 KiB", 413, "larger than 65536 bytes")]
    [InlineData("chunked body over 64 KiB", 413, "larger than 65536 bytes")]
    public async Task A_signed_but_malformed_webhook_is_refused_with_the_reason_and_nothing_is_stored_or_queued(
        string malformation, int status, string reason)
    {
        var before = await fixture.StoredEntitiesAsync();

        var response = await SendAsync(malformation, signature: null);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await AssertNothingStoredOrQueuedAsync(before);
    }

    [Theory]
    [InlineData("missing From", 403)] // a readable form: the signature first
    [InlineData("missing Body", 403)]
    [InlineData("JSON content type", 400)] // not a form: nothing to check a signature over
    [InlineData("broken percent-escape", 400)]
    [InlineData("raw non-ASCII byte", 400)]
    [InlineData("body over 64 KiB", 413)]
    public async Task A_malformed_webhook_with_a_wrong_signature_is_refused_by_the_first_check_it_fails(string malformation, int status)
    {
        var before = await fixture.StoredEntitiesAsync();

        var response = await SendAsync(malformation, WrongSignature);

        Assert.Equal(status, (int)response.StatusCode);
        await AssertNothingStoredOrQueuedAsync(before);
    }

    [Fact]
    public async Task A_well_formed_signed_webhook_is_stored_and_queued_so_the_checks_above_can_see_storage()
    {
        var before = await fixture.StoredEntitiesAsync();
        var queuedBefore = fixture.Queue.Enqueued.Count;

        var response = await fixture.Twilio.PostAsync(ValidForm("+40721555001"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(await fixture.StoredEntitiesAsync() > before, "the message was stored");
        Assert.True(fixture.Queue.Enqueued.Count > queuedBefore, "a routing request was queued");
        Assert.NotNull(await fixture.CallerRecordAsync("+40721555001"));
    }

    [Fact]
    public async Task A_picture_without_text_arrives_with_an_empty_Body_and_is_accepted()
    {
        // What Twilio posts for an MMS with no text: Body is present and empty, the media are described beside it.
        var form = ValidForm("+40721555002");
        form["Body"] = string.Empty;
        form["NumMedia"] = "1";
        form["MediaUrl0"] = "https://api.twilio.com/2010-04-01/Accounts/AC00/Messages/MM00/Media/ME00";
        form["MediaContentType0"] = "image/jpeg";

        var response = await fixture.Twilio.PostAsync(form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(await fixture.CallerRecordAsync("+40721555002"));
    }

    [Fact]
    public async Task An_endless_body_is_read_only_up_to_the_limit()
    {
        var context = new DefaultHttpContext { RequestServices = fixture.Services };
        context.Request.Method = "POST";
        context.Request.ContentType = "application/x-www-form-urlencoded";
        var endless = new EndlessFormStream(failAfter: 1024 * 1024);
        context.Request.Body = endless;
        var services = fixture.Services;

        var result = await TwilioSmsEndpoint.HandleAsync(
            context.Request, services.GetRequiredService<ISecretStore>(), services.GetRequiredService<SmsSettings>(),
            services.GetRequiredService<InboundMessageHandler>(), services.GetRequiredService<ImmediateRouter>(),
            services.GetRequiredService<ILoggerFactory>(), TimeProvider.System, CancellationToken.None);

        Assert.Equal(StatusCodes.Status413PayloadTooLarge, Assert.IsType<ProblemHttpResult>(result).StatusCode);
        Assert.Equal(TwilioSmsEndpoint.MaxRequestBytes + 1, endless.BytesRead);
    }

    private async Task AssertNothingStoredOrQueuedAsync(int entitiesBefore)
    {
        Assert.Equal(entitiesBefore, await fixture.StoredEntitiesAsync());
        Assert.DoesNotContain(fixture.Queue.Enqueued, e => e.At >= fixture.Since);
        Assert.Null(await fixture.CallerRecordAsync(Caller));
    }

    private Task<HttpResponseMessage> SendAsync(string malformation, string? signature)
    {
        fixture.Since = DateTimeOffset.UtcNow;
        var form = ValidForm(Caller);
        const string formType = "application/x-www-form-urlencoded";
        var twilio = fixture.Twilio;

        // The raw body with its Body parameter replaced by these exact bytes; the signature covers what was meant.
        Task<HttpResponseMessage> RawBody(byte[] rawBody, string meant)
        {
            form.Remove("Body");
            var bytes = Encoding.ASCII.GetBytes(TwilioWebhookClient.Encode(form) + "&Body=").Concat(rawBody).ToArray();
            form["Body"] = meant;
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new(formType);
            return twilio.PostRawAsync(content, form, signature);
        }

        switch (malformation)
        {
            case "missing From":
            case "missing To":
            case "missing Body":
                form.Remove(malformation["missing ".Length..]);
                return twilio.PostAsync(form, signature);
            case "JSON content type":
                return twilio.PostRawAsync(new StringContent(JsonSerializer.Serialize(form), Encoding.UTF8, "application/json"), form, signature);
            case "no content type":
                return twilio.PostRawAsync(new ByteArrayContent(Encoding.ASCII.GetBytes(TwilioWebhookClient.Encode(form))), form, signature);
            case "broken percent-escape":
                return RawBody("%ZZ"u8.ToArray(), "%ZZ");
            case "percent-escape with a space":
                return RawBody("ajutor% 9"u8.ToArray(), "ajutor% 9");
            case "truncated percent-escape":
                return RawBody("ajutor%4"u8.ToArray(), "ajutor%4");
            case "raw non-ASCII byte":
                return RawBody([(byte)'c', (byte)'a', (byte)'f', 0xE9], "café"); // é in Latin-1, not percent-encoded
            case "body over 64 KiB":
                form["Body"] = new string('a', 70_000);
                return twilio.PostAsync(form, signature);
            case "chunked body over 64 KiB":
                form["Body"] = new string('a', 70_000);
                var chunked = new StreamContent(new NonSeekableStream(Encoding.ASCII.GetBytes(TwilioWebhookClient.Encode(form))));
                chunked.Headers.ContentType = new(formType);
                return twilio.PostRawAsync(chunked, form, signature);
            default:
                throw new ArgumentOutOfRangeException(nameof(malformation), malformation, null);
        }
    }

    private static Dictionary<string, string> ValidForm(string from) => new()
    {
        ["MessageSid"] = TwilioWebhookClient.NewMessageSid(),
        ["AccountSid"] = "AC" + new string('0', 32),
        ["From"] = from,
        ["To"] = TwilioWebhookClient.GeneralNumber,
        ["Body"] = "Bună ziua, am nevoie de ajutor",
        ["NumMedia"] = "0",
        ["NumSegments"] = "1",
    };

    /// <summary>One app for the class, with a queue that records instead of sending: nothing else shares it.</summary>
    public sealed class App : IAsyncLifetime
    {
        private RunningApp _app = null!;

        public RecordingQueue Queue { get; } = new();

        public TwilioWebhookClient Twilio { get; private set; } = null!;

        public IServiceProvider Services => _app.Services;

        /// <summary>When the request under test was sent: nothing may be queued from then on.</summary>
        public DateTimeOffset Since { get; set; }

        public async Task InitializeAsync()
        {
            _app = await RunningApp.StartAsync(configure: b => b.Services.AddSingleton<IWorkQueue>(Queue));
            await _app.Services.GetRequiredService<IRosterStore>().SaveAsync(new("ioana", "Ioana", ["ro"], OnCall: true, Capacity: 5));
            await OpenConsoles.PollAsync(_app, "ioana");
            Twilio = new TwilioWebhookClient(_app);
        }

        public async Task DisposeAsync() => await _app.DisposeAsync();

        /// <summary>How many entities this app's tables hold (every table carries the app's own prefix).</summary>
        public async Task<int> StoredEntitiesAsync()
        {
            var prefix = _app.Services.GetRequiredService<StorageAccount>().TablePrefix;
            var tables = new TableServiceClient(TestEnvironment.StorageConnectionString);
            var count = 0;
            await foreach (var table in tables.QueryAsync(t => t.Name.CompareTo(prefix) >= 0))
            {
                if (!table.Name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                await foreach (var _ in tables.GetTableClient(table.Name).QueryAsync<TableEntity>(select: ["PartitionKey"]))
                {
                    count++;
                }
            }

            return count;
        }

        public async Task<CallerRecord?> CallerRecordAsync(string number)
        {
            var pseudonym = await _app.Services.GetRequiredService<CallerPseudonymizer>().PseudonymOfAsync(number);
            return await _app.Services.GetRequiredService<IConversationStore>().FindCallerAsync(pseudonym);
        }
    }

    /// <summary>Records what the app queues, and queues nothing.</summary>
    public sealed class RecordingQueue : IWorkQueue
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<(string Queue, string Payload, DateTimeOffset At)> _enqueued = new();

        public IReadOnlyCollection<(string Queue, string Payload, DateTimeOffset At)> Enqueued => _enqueued;

        public Task EnqueueAsync<T>(string queueName, T message, TimeSpan visibleAfter, CancellationToken cancellationToken = default)
        {
            _enqueued.Enqueue((queueName, JsonSerializer.Serialize(message), DateTimeOffset.UtcNow));
            return Task.CompletedTask;
        }
    }

    /// <summary>A stream without a length, so HttpClient sends it chunked (no Content-Length header).</summary>
    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    /// <summary>A form body that never ends ("Body=aaaa…"); reading far past the limit fails the test.</summary>
    private sealed class EndlessFormStream(int failAfter) : Stream
    {
        public int BytesRead { get; private set; }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (BytesRead > failAfter)
            {
                throw new InvalidOperationException($"Read {BytesRead} bytes of a body that never ends.");
            }

            buffer.Fill((byte)'a');
            BytesRead += buffer.Length;
            return buffer.Length;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

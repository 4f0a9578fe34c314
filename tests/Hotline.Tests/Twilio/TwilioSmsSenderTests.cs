using System.Collections.Concurrent;
using Hotline.Messaging;
using Hotline.Secrets;
using Hotline.Tests.Infrastructure;
using Hotline.Twilio;

namespace Hotline.Tests.Twilio;

/// <summary>
/// The SDK-based sender against the loopback Twilio double, without the app's resilience pipeline: how Twilio's
/// answers become results, and that credentials are read per call so a rotated auth token is used at once.
/// </summary>
public sealed class TwilioSmsSenderTests : IAsyncLifetime
{
    private const string Caller = "+40723000111";
    private const string Hotline = "+40312345678";
    private readonly Secrets _secrets = new();
    private TwilioApiDouble _twilio = null!;
    private HttpClient _http = null!;
    private TwilioSmsSender _sender = null!;

    public async Task InitializeAsync()
    {
        _twilio = await TwilioApiDouble.StartAsync();
        _secrets.Values["Twilio-AccountSid"] = TwilioApiDouble.AccountSid;
        _secrets.Values["Twilio-AuthToken"] = _twilio.ExpectedAuthToken;
        _http = new HttpClient(new TwilioApiRedirectHandler(_twilio.BaseUrl) { InnerHandler = new SocketsHttpHandler() });
        _sender = new TwilioSmsSender(_http, _secrets, new TwilioApiSettings("Twilio-AccountSid", "Twilio-AuthToken"));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _twilio.DisposeAsync();
    }

    [Fact]
    public async Task A_rotated_auth_token_is_used_for_the_next_message()
    {
        Assert.IsType<SmsSendResult.Sent>(await _sender.SendAsync(Caller, Hotline, "înainte"));

        _secrets.Values["Twilio-AuthToken"] = "rotated-token";
        _twilio.ExpectedAuthToken = "rotated-token";
        var sent = Assert.IsType<SmsSendResult.Sent>(await _sender.SendAsync(Caller, Hotline, "după"));

        Assert.Equal(sent.ProviderMessageId, _twilio.Sent.Single(m => m.Body == "după").Sid);
        Assert.Equal(2, _twilio.Sent.Count);
    }

    [Fact]
    public async Task Opt_out_is_unreachable_another_refusal_is_rejected_and_throttling_or_a_server_error_is_unavailable()
    {
        _twilio.OptedOut[Caller] = true;
        Assert.IsType<SmsSendResult.Unreachable>(await _sender.SendAsync(Caller, Hotline, "text"));
        _twilio.OptedOut.Clear();

        _twilio.AnswerNextWith(400);
        Assert.StartsWith("Twilio error ", Assert.IsType<SmsSendResult.Rejected>(await _sender.SendAsync(Caller, Hotline, "text")).Reason, StringComparison.Ordinal);

        foreach (var status in new[] { 429, 500, 503 })
        {
            _twilio.AnswerNextWith(status);
            var e = await Assert.ThrowsAsync<SmsProviderUnavailableException>(() => _sender.SendAsync(Caller, Hotline, "text"));
            Assert.DoesNotContain(Caller, e.Message, StringComparison.Ordinal);
        }

        Assert.Empty(_twilio.Sent);
    }

    [Fact]
    public async Task A_broken_connection_is_unavailable_without_the_callers_number_in_the_message()
    {
        _twilio.AcceptButDropConnectionNext();
        var e = await Assert.ThrowsAsync<SmsProviderUnavailableException>(() => _sender.SendAsync(Caller, Hotline, "text"));
        Assert.DoesNotContain(Caller, e.Message, StringComparison.Ordinal);

        await _twilio.DisposeAsync(); // nobody answers any more, not even the lookup
        var lookup = await Assert.ThrowsAsync<SmsProviderUnavailableException>(
            () => _sender.FindSentAsync(Caller, Hotline, "text", DateTimeOffset.UtcNow.AddMinutes(-5)));
        Assert.DoesNotContain(Caller, lookup.Message, StringComparison.Ordinal);
        _twilio = await TwilioApiDouble.StartAsync(); // for DisposeAsync
    }

    private sealed class Secrets : ISecretStore
    {
        public ConcurrentDictionary<string, string> Values { get; } = new();

        public ValueTask<string> GetAsync(string name, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Values.TryGetValue(name, out var value) ? value : throw new SecretNotFoundException(name));

        public Task ProbeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
    }
}

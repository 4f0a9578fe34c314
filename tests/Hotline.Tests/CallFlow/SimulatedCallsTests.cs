using Hotline.Functions.Dev;
using Hotline.Functions.Sms;
using Hotline.Secrets;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.CallFlow;

/// <summary>
/// The call page's calls (<see cref="SimulatedCalls"/>) against the queue design of <see cref="FakeQueueFlow"/>: the
/// phones the app calls through the REST API show with the call and take their steps, without the real app.
/// </summary>
public sealed class SimulatedCallsTests
{
    private const string Ioana = "+447700900101";
    private const string Maria = "+447700900102";

    [Fact]
    public async Task The_phones_the_app_calls_show_with_the_queued_call_and_answering_one_connects_the_caller()
    {
        await using var flow = await FakeQueueFlow.StartAsync([Ioana, Maria]);
        var calls = new SimulatedCalls(new Clients(), new Secrets(), new SmsSettings(FakeVoiceApp.PublicBase, new Dictionary<string, string>(), "112"), TimeProvider.System);
        var self = flow.App.Http.BaseAddress!;
        flow.Twilio.Voice = await calls.AccountAsync(self);

        var view = await calls.StartAsync("+40700000001", FakeQueueFlow.HotlineNumber, self);

        Assert.Equal("Queued", view.State);
        Assert.Equal([(1, Ioana, "Ringing"), (2, Maria, "Ringing")], view.Outbound.Select(o => (o.Index, o.To, o.State)));
        view = (await calls.StepAsync(view.Id, (c, t) => c.WaitAsync(TimeSpan.FromSeconds(5), t)))!;
        Assert.Equal(5, view.ElapsedSeconds);
        view = (await calls.OutboundStepAsync(view.Id, 2, (c, t) => c.AnswerAsync(t)))!;
        Assert.Equal("say[en-US/man]: Press 1 to take the call", view.Outbound[1].Heard[^1]);
        view = (await calls.OutboundStepAsync(view.Id, 2, (c, t) => c.PressAsync("1", t)))!;

        Assert.Equal("Connected", view.State);
        Assert.Equal([("canceled", "Ended"), ("in-progress", "Bridged")], view.Outbound.Select(o => (o.Status, o.State)));
        Assert.Contains(view.Requests, r => r.Side == "call 2" && r.Path.StartsWith("/api/twilio/voice/accept", StringComparison.Ordinal));
        await Assert.ThrowsAsync<CallStepException>(() => calls.OutboundStepAsync(view.Id, 7, (c, t) => c.AnswerAsync(t)));

        // A call placed later shows only the phones rung since it came in.
        var later = await calls.StartAsync("+40700000002", FakeQueueFlow.HotlineNumber, self);
        Assert.Equal([3, 4], later.Outbound.Select(o => o.Index));
    }

    private sealed class Clients : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new();
    }

    private sealed class Secrets : ISecretStore
    {
        public ValueTask<string> GetAsync(string name, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(name == TwilioSecrets.AccountSid.Name ? TwilioApiDouble.AccountSid : FakeVoiceApp.AuthToken);

        public Task ProbeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
    }
}

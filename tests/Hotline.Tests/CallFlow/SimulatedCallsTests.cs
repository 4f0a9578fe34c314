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

    [Fact]
    public async Task A_number_dialled_by_a_created_call_shows_masked_as_a_phone_that_answers_and_the_view_never_holds_it_in_full()
    {
        const string caller = "+447700900123";
        const string hotline = "+442071234567";
        await using var app = await FakeVoiceApp.StartAsync(a =>
        {
            a.MapPost("/api/twilio/voice", () => FakeVoiceApp.Twiml("""<Response><Gather action="/api/twilio/refused"><Say>Hello</Say></Gather></Response>"""));
            a.MapPost("/api/twilio/refused", () => FakeVoiceApp.Twiml($"<Response><Number>{caller}</Number></Response>"));
            a.MapPost("/api/twilio/callback", () => FakeVoiceApp.Twiml(
                $"""<Response><Dial callerId="{hotline}" action="/api/twilio/dialed"><Number statusCallback="/api/twilio/leg" statusCallbackEvent="answered">{caller}</Number></Dial></Response>"""));
            a.MapPost("/api/twilio/leg", () => Results.Ok());
            a.MapPost("/api/twilio/voice/status", () => Results.Ok());
        });
        var calls = new SimulatedCalls(new Clients(), new Secrets(), new SmsSettings(FakeVoiceApp.PublicBase, new Dictionary<string, string>(), "112"), TimeProvider.System);
        var self = app.Http.BaseAddress!;
        var account = await calls.AccountAsync(self);
        var view = await calls.StartAsync("+40700000001", hotline, self);
        var created = await account.HandleApiAsync("POST", $"/2010-04-01/Accounts/{account.AccountSid}/Calls.json",
            [new("To", Ioana), new("From", hotline), new("Url", "https://hotline.example.org/api/twilio/callback")],
            "Basic " + Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{account.AccountSid}:{FakeVoiceApp.AuthToken}")));
        Assert.Equal(201, created.Status);

        view = (await calls.OutboundStepAsync(view.Id, 1, (c, t) => c.AnswerAsync(t)))!;

        var counsellor = Assert.Single(view.Outbound);
        Assert.Equal(("Dialing", "in-progress"), (counsellor.State, counsellor.Status));
        var leg = Assert.Single(counsellor.Legs);
        Assert.Equal((1, "•••• 0123", hotline, "Ringing"), (leg.Index, leg.Number, leg.CallerId, leg.State));
        view = (await calls.OutboundStepAsync(view.Id, 1, (c, t) => c.Legs[0].AnswerAsync(t)))!;
        Assert.Equal(("Bridged", "Bridged"), (view.Outbound[0].State, view.Outbound[0].Legs[0].State));
        var legStatus = Assert.Single(view.Requests, r => r.Side == "call 1 leg 1");
        Assert.Equal(("•••• 0123", "in-progress"), (legStatus.Parameters["To"], legStatus.Parameters["CallStatus"]));
        Assert.DoesNotContain(caller, System.Text.Json.JsonSerializer.Serialize(view, System.Text.Json.JsonSerializerOptions.Web), StringComparison.Ordinal);

        // An answer Twilio would refuse is quoted in the problem shown on the page: the number in it is masked too.
        var refused = await Assert.ThrowsAsync<CallStepException>(() => calls.StepAsync(view.Id, (c, t) => c.PressAsync("1", t)));
        view = calls.Find(view.Id)!;
        Assert.DoesNotContain(caller, refused.Message, StringComparison.Ordinal);
        Assert.Contains("•••• 0123", view.Problem, StringComparison.Ordinal);
    }

    internal sealed class Clients : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new();
    }

    internal sealed class Secrets : ISecretStore
    {
        public ValueTask<string> GetAsync(string name, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(name == TwilioSecrets.AccountSid.Name ? TwilioApiDouble.AccountSid : FakeVoiceApp.AuthToken);

        public Task ProbeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
    }
}

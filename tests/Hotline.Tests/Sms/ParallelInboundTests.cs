using Hotline.Conversations;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Routing;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Sms;

/// <summary>Many callers writing at once: nothing lost, nothing twice, nobody over capacity.</summary>
[Collection(SmsCollection.Name)]
public sealed class ParallelInboundTests : IAsyncLifetime
{
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await RunningApp.StartWithRosterAsync(
        [
            new("ro-1", "RO one", ["ro"], OnCall: true, Capacity: 4),
            new("ro-2", "RO two", ["ro"], OnCall: true, Capacity: 3),
            new("ro-3", "RO three", ["ro"], OnCall: true, Capacity: 5),
        ]);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_hundred_messages_from_thirty_callers_arrive_once_each_and_no_counsellor_exceeds_capacity()
    {
        var twilio = new TwilioWebhookClient(_app);
        var callers = Enumerable.Range(0, 30).Select(i => $"+4072{i:D7}").ToList();
        var sent = Enumerable.Range(0, 100).Select(i => (Caller: callers[i % 30], Text: $"Bună ziua, am nevoie de ajutor, mesajul {i}", Sid: TwilioWebhookClient.NewMessageSid())).ToList();

        // Every message at once, and a tenth of them delivered twice, as Twilio does on retry.
        var deliveries = sent.Concat(sent.Where((_, i) => i % 10 == 0)).ToList();
        var responses = await Task.WhenAll(deliveries.Select(m => twilio.SendSmsAsync(m.Caller, m.Text, m.Sid)));
        var failed = responses.Where(r => !r.IsSuccessStatusCode).ToList();
        // A 5xx asks Twilio to retry; do what Twilio would until every message is in.
        foreach (var (response, message) in responses.Zip(deliveries).Where(x => !x.First.IsSuccessStatusCode))
        {
            Assert.True((int)response.StatusCode >= 500, $"only transient failures: {response.StatusCode}");
            Assert.True((await twilio.SendSmsAsync(message.Caller, message.Text, message.Sid)).IsSuccessStatusCode);
        }

        var store = _app.Services.GetRequiredService<IConversationStore>();
        var pseudonymizer = _app.Services.GetRequiredService<CallerPseudonymizer>();
        var stored = new List<string>();
        foreach (var caller in callers)
        {
            var record = await store.FindCallerAsync(await pseudonymizer.PseudonymOfAsync(caller));
            Assert.NotNull(record?.OpenConversationId);
            stored.AddRange((await store.MessagesAsync(record!.OpenConversationId!)).Select(m => m.Text.Reveal()));
        }

        Assert.Equal(sent.Select(m => m.Text).Order(), stored.Order());

        // Capacity 4 + 3 + 5 = 12 of 30 conversations get offered; the rest wait. Never more than capacity.
        var loadsStore = _app.Services.GetRequiredService<ICounsellorLoads>();
        async Task<string> StateAsync()
        {
            var all = await store.ListOpenAsync();
            var held = await loadsStore.HeldAsync();
            return string.Join(", ", all.GroupBy(c => c.Status + ":" + c.AssignedTo).Select(g => $"{g.Key}={g.Count()}"))
                + " | held " + string.Join(", ", held.Select(h => $"{h.Key}={h.Value.Count}"));
        }

        var deadline = DateTime.UtcNow.AddSeconds(40);
        while ((await store.ListOpenAsync()).Count(c => c.Status == ConversationStatus.Offered) != 12)
        {
            Assert.True(DateTime.UtcNow < deadline, "12 offers expected; state: " + await StateAsync());
            await Task.Delay(100);
        }
        var open = await store.ListOpenAsync();
        Assert.Equal(30, open.Count);
        Assert.True(open.Count(c => c.AssignedTo == "ro-1") <= 4);
        Assert.True(open.Count(c => c.AssignedTo == "ro-2") <= 3);
        Assert.True(open.Count(c => c.AssignedTo == "ro-3") <= 5);
        var loads = await _app.Services.GetRequiredService<ICounsellorLoads>().OpenCountsAsync();
        Assert.Equal(4, loads["ro-1"]);
        Assert.Equal(3, loads["ro-2"]);
        Assert.Equal(5, loads["ro-3"]);
        Assert.DoesNotContain(failed, r => (int)r.StatusCode < 500);
    }
}

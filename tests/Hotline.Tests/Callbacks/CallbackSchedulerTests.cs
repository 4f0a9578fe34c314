using Azure.Data.Tables;
using Hotline.Callbacks;
using Hotline.Privacy;
using Hotline.Roster;
using Hotline.Routing;
using Hotline.Secrets;
using Hotline.Storage;
using Hotline.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Hotline.Tests.Callbacks;

/// <summary>
/// The callback scheduler against real Azurite (its own tables per test), on a fake clock: released inside a safe
/// window and never outside one, a passed window skipped, urgent first, once when two schedulers run at once, outcomes
/// with spacing and a maximum of attempts, expiry, and the secrets destroyed whenever a request ends.
/// </summary>
public sealed class CallbackSchedulerTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Day = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly CallbackSecrets Secrets = new("+40722000111", "lavender");

    private readonly FakeTimeProvider _clock = new(At(8, 0));
    private readonly InMemoryCallbackSecrets _secrets = new();
    private readonly StorageAccount _account;
    private readonly TableCallbackStore _store;
    private readonly TableRosterStore _roster;

    public CallbackSchedulerTests()
    {
        _account = StorageAccount.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage"] = TestEnvironment.StorageConnectionString,
                ["Storage:TablePrefix"] = "cb" + Guid.NewGuid().ToString("N")[..10],
            })
            .Build());
        _store = new TableCallbackStore(_account);
        _roster = new TableRosterStore(_account, new CounsellorPhoneProtector(new FixedKeySecretStore()), NullLogger<TableRosterStore>.Instance);
    }

    public async Task InitializeAsync()
    {
        foreach (var table in new[] { TableNames.Callbacks, TableNames.Roster, TableNames.CounsellorLoads })
        {
            await _account.Table(table).CreateIfNotExistsAsync();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_request_is_released_at_the_start_of_its_window_and_not_a_minute_before()
    {
        await OnCallAsync("ana", "ro");
        var scheduler = Scheduler();
        var request = await CreateAsync(scheduler, "ro", Window(10, 0, 11, 0));

        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(9, 59)));
        Assert.Equal(CallbackStatus.Waiting, (await FindAsync(request)).Status);

        Assert.Equal(1, await scheduler.ReleaseDueAsync(At(10, 0)));
        var released = await FindAsync(request);
        Assert.Equal(CallbackStatus.Released, released.Status);
        Assert.Equal("ana", released.ReleasedTo);
        Assert.Equal(At(10, 0), released.ReleasedAt);
        Assert.Equal([request], (await _store.ListReleasedToAsync("ana")).Select(r => r.Id));
    }

    [Fact]
    public async Task A_window_that_passed_is_skipped_never_called_late_and_the_next_window_is_used()
    {
        await OnCallAsync("ana", "ro");
        var scheduler = Scheduler();
        var request = await CreateAsync(scheduler, "ro", Window(10, 0, 10, 30), Window(14, 0, 15, 0));

        // The scheduler did not run during the first window (or nobody could take it): at 10:30 the window is over.
        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(10, 30)));
        var waiting = await FindAsync(request);
        Assert.Equal(CallbackStatus.Waiting, waiting.Status);
        Assert.Equal([Window(14, 0, 15, 0)], waiting.Windows);

        // Between the windows nothing is due (the index moved on to the next window) and nothing is released.
        Assert.Empty(await _store.ListDueAsync(At(13, 59)));
        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(13, 59)));
        Assert.Equal(1, await scheduler.ReleaseDueAsync(At(14, 0)));
        Assert.Equal(CallbackStatus.Released, (await FindAsync(request)).Status);
    }

    [Fact]
    public async Task Nobody_to_take_it_in_the_window_means_no_call_after_it_and_only_a_counsellor_who_can_take_it_gets_it()
    {
        await _roster.SaveAsync(new Counsellor("oksana", "Oksana", ["uk"], OnCall: true, Capacity: 3)); // never seen: not present
        await OnCallAsync("dimitar", "bg");
        await OnCallAsync("elira", "sq", onCall: false);
        var scheduler = Scheduler(new RoutingPolicy([], RoutingPolicy.Default.OfferTimeout) { PresenceWindow = TimeSpan.FromDays(30) });
        var request = await CreateAsync(scheduler, "uk", Window(10, 0, 11, 0));

        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(10, 0)));
        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(10, 59)));
        Assert.Equal(CallbackStatus.Waiting, (await FindAsync(request)).Status);

        // Oksana's console opens just after the window: too late, and with no window left the request ends.
        await _roster.MarkSeenAsync("oksana", new Presence(At(11, 0), PresenceSource.Console));
        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(11, 0)));
        var closed = await FindAsync(request);
        Assert.Equal(CallbackStatus.Closed, closed.Status);
        Assert.Equal(CallbackClosure.Expired, closed.ClosedAs);
        Assert.Null(closed.ReleasedTo);
        Assert.Equal([request], _secrets.Destroyed);
    }

    [Fact]
    public async Task Urgent_requests_are_released_first_when_counsellors_are_few()
    {
        await OnCallAsync("ana", "ro", capacity: 1);
        var scheduler = Scheduler();
        var ordinary = await CreateAsync(scheduler, "ro", Window(10, 0, 11, 0));
        _clock.Advance(TimeSpan.FromMinutes(5));
        var urgent = await CreateAsync(scheduler, "ro", urgent: true, Window(10, 0, 11, 0));

        Assert.Equal(1, await scheduler.ReleaseDueAsync(At(10, 0)));
        Assert.Equal(CallbackStatus.Released, (await FindAsync(urgent)).Status);
        Assert.Equal(CallbackStatus.Waiting, (await FindAsync(ordinary)).Status);

        // Ana holds one callback and her capacity is one: the other waits until she has done it.
        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(10, 1)));
        Assert.Equal(OutcomeRecording.Recorded, await scheduler.RecordOutcomeAsync(urgent, "ana", CallbackOutcome.Reached, At(10, 5)));
        Assert.Equal(1, await scheduler.ReleaseDueAsync(At(10, 6)));
        Assert.Equal("ana", (await FindAsync(ordinary)).ReleasedTo);
    }

    [Fact]
    public async Task Two_schedulers_running_at_once_release_each_request_once()
    {
        await OnCallAsync("ana", "ro", capacity: 20);
        await OnCallAsync("elira", "ro", capacity: 20);
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await CreateAsync(Scheduler(), "ro", Window(10, 0, 11, 0)));
        }

        // Both read the same due requests before either writes: every request is contended.
        var gate = new BothRead();
        var first = Scheduler(store: new GatedStore(new TableCallbackStore(_account), gate));
        var second = Scheduler(store: new GatedStore(new TableCallbackStore(_account), gate));
        var released = await Task.WhenAll(first.ReleaseDueAsync(At(10, 0)), second.ReleaseDueAsync(At(10, 0)));

        Assert.Equal(ids.Count, released.Sum());
        foreach (var id in ids)
        {
            var request = await FindAsync(id);
            Assert.Equal(CallbackStatus.Released, request.Status);
            Assert.True(request.ReleasedTo is "ana" or "elira", request.ReleasedTo);
        }
    }

    [Fact]
    public async Task An_unanswered_call_is_tried_again_after_the_spacing_inside_a_window_until_the_attempts_run_out()
    {
        await OnCallAsync("ana", "ro");
        var scheduler = Scheduler();
        var request = await CreateAsync(scheduler, "ro", Window(10, 0, 12, 0));

        Assert.Equal(1, await scheduler.ReleaseDueAsync(At(10, 0)));
        Assert.Equal(OutcomeRecording.Recorded, await scheduler.RecordOutcomeAsync(request, "ana", CallbackOutcome.NoAnswer, At(10, 10)));
        var waiting = await FindAsync(request);
        Assert.Equal(CallbackStatus.Waiting, waiting.Status);
        Assert.Equal(At(10, 40), waiting.NextAttemptAfter);
        Assert.Equal([CallbackOutcome.NoAnswer], waiting.Attempts.Select(a => a.Outcome));

        // Not before the spacing of 30 minutes has passed, then at once.
        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(10, 39)));
        Assert.Equal(1, await scheduler.ReleaseDueAsync(At(10, 40)));

        // Someone else answered and the cover story was used: not her, so one more attempt.
        Assert.Equal(OutcomeRecording.Recorded, await scheduler.RecordOutcomeAsync(request, "ana", CallbackOutcome.ReachedNotSafe, At(10, 45)));
        Assert.Equal(CallbackStatus.Waiting, (await FindAsync(request)).Status);
        Assert.Empty(_secrets.Destroyed);

        Assert.Equal(1, await scheduler.ReleaseDueAsync(At(11, 15)));
        Assert.Equal(OutcomeRecording.Recorded, await scheduler.RecordOutcomeAsync(request, "ana", CallbackOutcome.MessageLeft, At(11, 20)));
        var closed = await FindAsync(request);
        Assert.Equal(CallbackStatus.Closed, closed.Status);
        Assert.Equal(CallbackClosure.AttemptsExhausted, closed.ClosedAs);
        Assert.Equal(3, closed.Attempts.Count);
        Assert.Equal([request], _secrets.Destroyed);
        Assert.Empty(await _store.ListOpenAsync());
    }

    [Fact]
    public async Task A_spacing_that_ends_after_the_window_moves_the_next_attempt_to_the_next_window()
    {
        await OnCallAsync("ana", "ro");
        var scheduler = Scheduler();
        var request = await CreateAsync(scheduler, "ro", Window(10, 0, 10, 30), Window(16, 0, 17, 0));

        Assert.Equal(1, await scheduler.ReleaseDueAsync(At(10, 0)));
        await scheduler.RecordOutcomeAsync(request, "ana", CallbackOutcome.NoAnswer, At(10, 20));

        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(10, 29))); // inside the window, but within the spacing
        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(10, 50))); // spacing over, window over
        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(15, 59)));
        Assert.Equal(1, await scheduler.ReleaseDueAsync(At(16, 0)));
    }

    [Theory]
    [InlineData(CallbackOutcome.Reached, CallbackClosure.Reached)]
    [InlineData(CallbackOutcome.WrongNumber, CallbackClosure.WrongNumber)]
    public async Task Reached_or_a_wrong_number_closes_the_request_and_destroys_its_secrets(CallbackOutcome outcome, CallbackClosure closure)
    {
        await OnCallAsync("ana", "ro");
        await OnCallAsync("elira", "sq");
        var scheduler = Scheduler();
        var request = await CreateAsync(scheduler, "ro", Window(10, 0, 12, 0), Window(14, 0, 15, 0));
        Assert.Equal(1, await scheduler.ReleaseDueAsync(At(10, 0)));

        // Only the counsellor it was released to reports on it.
        Assert.Equal(OutcomeRecording.NotReleasedToCounsellor, await scheduler.RecordOutcomeAsync(request, "elira", outcome, At(10, 5)));
        Assert.Equal(OutcomeRecording.NotFound, await scheduler.RecordOutcomeAsync("cb-none", "ana", outcome, At(10, 5)));
        Assert.Empty(_secrets.Destroyed);

        Assert.Equal(OutcomeRecording.Recorded, await scheduler.RecordOutcomeAsync(request, "ana", outcome, At(10, 5)));
        var closed = await FindAsync(request);
        Assert.Equal((CallbackStatus.Closed, closure, At(10, 5)), (closed.Status, closed.ClosedAs!.Value, closed.ClosedAt!.Value));
        Assert.Equal([request], _secrets.Destroyed);
        Assert.Null(await _secrets.ReadAsync(request));
        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(14, 0)));
        Assert.Equal(OutcomeRecording.NotReleasedToCounsellor, await scheduler.RecordOutcomeAsync(request, "ana", outcome, At(14, 5)));
    }

    [Fact]
    public async Task A_released_request_nobody_acted_on_goes_back_to_waiting_when_its_window_ends_and_is_released_in_the_next()
    {
        await OnCallAsync("ana", "ro");
        var scheduler = Scheduler();
        var request = await CreateAsync(scheduler, "ro", Window(10, 0, 11, 0), Window(15, 0, 16, 0));

        Assert.Equal(1, await scheduler.ReleaseDueAsync(At(10, 0)));
        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(10, 59)));
        Assert.Equal(CallbackStatus.Released, (await FindAsync(request)).Status);

        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(11, 0)));
        var waiting = await FindAsync(request);
        Assert.Equal((CallbackStatus.Waiting, (string?)null, 0), (waiting.Status, waiting.ReleasedTo, waiting.Attempts.Count));
        Assert.Empty(await _store.ListReleasedToAsync("ana"));

        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(14, 59)));
        Assert.Equal(1, await scheduler.ReleaseDueAsync(At(15, 0)));
        Assert.Equal("ana", (await FindAsync(request)).ReleasedTo);
    }

    [Fact]
    public async Task An_expired_request_closes_at_its_expiry_and_its_secrets_are_destroyed_even_after_the_secret_store_failed_once()
    {
        await OnCallAsync("ana", "ro");
        var scheduler = Scheduler();
        var request = await CreateAsync(scheduler, "ro", expiresAt: At(12, 0), urgent: false, Window(13, 0, 14, 0));

        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(11, 59)));
        Assert.Equal(CallbackStatus.Waiting, (await FindAsync(request)).Status);

        _secrets.FailNextDestroy = true;
        await Assert.ThrowsAsync<AggregateException>(() => scheduler.ReleaseDueAsync(At(12, 0)));
        Assert.Equal(CallbackClosure.Expired, (await FindAsync(request)).ClosedAs);
        Assert.Empty(_secrets.Destroyed);

        // The next run destroys what the failed one could not.
        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(12, 1)));
        Assert.Equal([request], _secrets.Destroyed);
        Assert.Empty(await _store.ListSecretsToDestroyAsync());
        Assert.Equal(0, await scheduler.ReleaseDueAsync(At(13, 0)));
        Assert.Equal(CallbackStatus.Closed, (await FindAsync(request)).Status);
    }

    [Fact]
    public async Task A_cancelled_request_closes_and_its_secrets_are_destroyed()
    {
        var scheduler = Scheduler();
        var request = await CreateAsync(scheduler, "ro", Window(10, 0, 11, 0));

        Assert.True(await scheduler.CancelAsync(request));
        Assert.Equal(CallbackClosure.Cancelled, (await FindAsync(request)).ClosedAs);
        Assert.Equal([request], _secrets.Destroyed);
        Assert.False(await scheduler.CancelAsync(request));
        Assert.Empty(await _store.ListDueAsync(At(10, 0)));
    }

    [Fact]
    public async Task Closed_requests_are_listed_for_the_board_and_forgotten_after_the_retention_once_their_secrets_are_gone()
    {
        var scheduler = Scheduler();
        var old = await CreateAsync(scheduler, "ro", Window(10, 0, 11, 0));
        var undestroyed = await CreateAsync(scheduler, "ro", Window(10, 0, 11, 0));
        var recent = await CreateAsync(scheduler, "uk", Window(10, 0, 11, 0));
        await CreateAsync(scheduler, "uk", Window(10, 0, 11, 0)); // stays open

        await scheduler.CancelAsync(old);
        _secrets.FailNextDestroy = true;
        await Assert.ThrowsAsync<InvalidOperationException>(() => scheduler.CancelAsync(undestroyed));
        _clock.Advance(TimeSpan.FromDays(20));
        await scheduler.CancelAsync(recent);

        Assert.Equal(new[] { old, recent, undestroyed }.Order(), (await _store.ListClosedSinceAsync(At(8, 0))).Select(r => r.Id).Order());
        Assert.Equal([recent], (await _store.ListClosedSinceAsync(At(8, 0).AddDays(1))).Select(r => r.Id));

        // 30 days (the default retention) after the first two closed: the one whose secrets are gone is forgotten.
        Assert.Equal(1, await scheduler.ForgetClosedAsync(At(8, 1).AddDays(30)));
        Assert.Null(await _store.FindAsync(old));
        Assert.NotNull(await _store.FindAsync(undestroyed));
        Assert.NotNull(await _store.FindAsync(recent));
        Assert.Single(await _store.ListOpenAsync());
    }

    [Fact]
    public async Task The_table_holds_neither_the_number_nor_the_code_word_and_lists_open_requests_by_language()
    {
        var scheduler = Scheduler();
        var romanian = await CreateAsync(scheduler, "ro", Window(10, 0, 11, 0));
        var ukrainian = await CreateAsync(scheduler, "uk", Window(10, 0, 11, 0));
        await scheduler.CancelAsync(ukrainian);
        await CreateAsync(scheduler, "uk", Window(10, 0, 11, 0));

        await foreach (var row in _account.Table(TableNames.Callbacks).QueryAsync<TableEntity>())
        {
            foreach (var value in row.Select(p => p.Value).OfType<string>())
            {
                Assert.DoesNotContain("722000111", value, StringComparison.Ordinal);
                Assert.DoesNotContain("lavender", value, StringComparison.OrdinalIgnoreCase);
            }
        }

        Assert.Equal(Secrets, await _secrets.ReadAsync(romanian));
        Assert.Equal([romanian], (await _store.ListOpenAsync("ro")).Select(r => r.Id));
        Assert.Single(await _store.ListOpenAsync("uk"));
        Assert.Equal(2, (await _store.ListOpenAsync()).Count);
    }

    private CallbackScheduler Scheduler(RoutingPolicy? policy = null, ICallbackStore? store = null) => new(
        store ?? _store, _secrets, _roster, new TableCounsellorLoads(_account),
        policy ?? RoutingPolicy.Default with { PresenceWindow = TimeSpan.FromDays(30) },
        CallbackSettings.Default, _clock);

    private async Task OnCallAsync(string id, string language, bool onCall = true, int capacity = 3)
    {
        await _roster.SaveAsync(new Counsellor(id, id, [language], onCall, capacity));
        await _roster.MarkSeenAsync(id, new Presence(At(8, 0), PresenceSource.Console));
    }

    private Task<string> CreateAsync(CallbackScheduler scheduler, string language, params SafeWindow[] windows) =>
        CreateAsync(scheduler, language, urgent: false, windows);

    private Task<string> CreateAsync(CallbackScheduler scheduler, string language, bool urgent, params SafeWindow[] windows) =>
        CreateAsync(scheduler, language, default, urgent, windows);

    private async Task<string> CreateAsync(
        CallbackScheduler scheduler, string language, DateTimeOffset expiresAt, bool urgent, params SafeWindow[] windows)
    {
        var id = "cb-" + Guid.NewGuid().ToString("N");
        var request = new CallbackRequest(id, "conv-" + id[3..15], language, _clock.GetUtcNow(), expiresAt)
        {
            Channel = "sms",
            TimeZone = "Europe/Bucharest",
            Windows = windows,
            CoverStory = "A survey about phone contracts",
            Urgent = urgent,
        };
        Assert.True(await scheduler.CreateAsync(request, Secrets));
        return id;
    }

    private async Task<CallbackRequest> FindAsync(string id) => await _store.FindAsync(id) ?? throw new InvalidOperationException("No request " + id);

    private static DateTimeOffset At(int hour, int minute) => Day.AddHours(hour).AddMinutes(minute);

    private static SafeWindow Window(int fromHour, int fromMinute, int toHour, int toMinute) => new(At(fromHour, fromMinute), At(toHour, toMinute));

    private sealed class FixedKeySecretStore : ISecretStore
    {
        public ValueTask<string> GetAsync(string name, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Convert.ToBase64String(new byte[32]));

        public Task ProbeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
    }

    /// <summary>Lets two schedulers go on only once both have read the due requests.</summary>
    private sealed class BothRead
    {
        private readonly TaskCompletionSource _both = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;

        public Task ArriveAsync()
        {
            if (Interlocked.Increment(ref _arrived) == 2)
            {
                _both.SetResult();
            }

            return _both.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    private sealed class GatedStore(ICallbackStore inner, BothRead gate) : ICallbackStore
    {
        public async Task<IReadOnlyList<CallbackRequest>> ListDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
        {
            var due = await inner.ListDueAsync(now, cancellationToken);
            await gate.ArriveAsync();
            return due;
        }

        public Task<bool> CreateAsync(CallbackRequest request, CancellationToken cancellationToken = default) => inner.CreateAsync(request, cancellationToken);

        public Task<CallbackRequest?> FindAsync(string requestId, CancellationToken cancellationToken = default) => inner.FindAsync(requestId, cancellationToken);

        public Task<bool> TryUpdateAsync(CallbackRequest request, CancellationToken cancellationToken = default) => inner.TryUpdateAsync(request, cancellationToken);

        public Task<IReadOnlyList<CallbackRequest>> ListOpenAsync(string? language = null, CancellationToken cancellationToken = default) =>
            inner.ListOpenAsync(language, cancellationToken);

        public Task<IReadOnlyList<CallbackRequest>> ListReleasedToAsync(string counsellorId, CancellationToken cancellationToken = default) =>
            inner.ListReleasedToAsync(counsellorId, cancellationToken);

        public Task<IReadOnlyList<string>> ListSecretsToDestroyAsync(CancellationToken cancellationToken = default) =>
            inner.ListSecretsToDestroyAsync(cancellationToken);

        public Task SecretsDestroyedAsync(string requestId, CancellationToken cancellationToken = default) =>
            inner.SecretsDestroyedAsync(requestId, cancellationToken);

        public Task<IReadOnlyList<CallbackRequest>> ListClosedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken = default) =>
            inner.ListClosedSinceAsync(since, cancellationToken);

        public Task<int> ForgetClosedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken = default) =>
            inner.ForgetClosedBeforeAsync(before, cancellationToken);
    }
}

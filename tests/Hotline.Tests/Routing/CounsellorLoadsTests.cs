using Hotline.Routing;
using Hotline.Storage;
using Hotline.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Hotline.Tests.Routing;

/// <summary>Reservations against real Azurite: ETag-guarded, idempotent, never over capacity under contention.</summary>
public sealed class CounsellorLoadsTests
{
    private readonly TableCounsellorLoads _loads;

    public CounsellorLoadsTests()
    {
        var account = StorageAccount.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["AzureWebJobsStorage"] = TestEnvironment.StorageConnectionString })
            .Build());
        account.Tables.CreateTableIfNotExists(TableNames.CounsellorLoads);
        _loads = new TableCounsellorLoads(account);
    }

    [Fact]
    public async Task Many_parallel_reservations_never_exceed_capacity()
    {
        var counsellor = TestEnvironment.UniqueName("load");
        const int capacity = 3;

        // Two "routers" (here 40 concurrent attempts) race for the same counsellor.
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            _loads.TryReserveAsync(counsellor, $"conv-{i}", capacity)));

        Assert.Equal(capacity, results.Count(r => r == Reservation.Reserved));
        Assert.Equal(capacity, (await _loads.OpenCountsAsync())[counsellor]);
    }

    [Fact]
    public async Task Reserving_or_releasing_twice_for_the_same_conversation_changes_nothing()
    {
        var counsellor = TestEnvironment.UniqueName("load");

        Assert.Equal(Reservation.Reserved, await _loads.TryReserveAsync(counsellor, "conv-a", 1));
        Assert.Equal(Reservation.AlreadyHeld, await _loads.TryReserveAsync(counsellor, "conv-a", 1)); // a retried message
        Assert.Equal(Reservation.Full, await _loads.TryReserveAsync(counsellor, "conv-b", 1));
        Assert.Equal(1, (await _loads.OpenCountsAsync())[counsellor]);

        await _loads.ReleaseAsync(counsellor, "conv-a");
        await _loads.ReleaseAsync(counsellor, "conv-a");
        Assert.Equal(0, (await _loads.OpenCountsAsync())[counsellor]);
        Assert.Equal(Reservation.Reserved, await _loads.TryReserveAsync(counsellor, "conv-b", 1));
    }
}

using Azure.Core;
using Azure.Core.Pipeline;
using Hotline.Messaging;
using Hotline.Storage;
using Hotline.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Hotline.Tests.Configuration;

/// <summary>Provisioning at start against real Azurite: creates what is missing, and only that.</summary>
public sealed class StorageProvisionerTests
{
    [Fact]
    public async Task A_fresh_account_gets_every_table_and_queue()
    {
        var (account, _) = Account(NewPrefix());

        await new StorageProvisioner(account).EnsureCreatedAsync(CancellationToken.None);

        foreach (var table in TableNames.All)
        {
            // Querying a table that does not exist fails with 404.
            await foreach (var _ in account.Table(table).QueryAsync<Azure.Data.Tables.TableEntity>(maxPerPage: 1).AsPages(pageSizeHint: 1))
            {
                break;
            }
        }

        foreach (var queue in QueueNames.All)
        {
            Assert.True((await account.Queue(queue).ExistsAsync()).Value, queue);
        }
    }

    [Fact]
    public async Task A_provisioned_account_costs_two_requests_and_a_missing_table_is_created_again()
    {
        var prefix = NewPrefix();
        var (first, _) = Account(prefix);
        await new StorageProvisioner(first).EnsureCreatedAsync(CancellationToken.None);

        // Tables of another hotline whose prefix starts with this one's fall inside the listed range; they are not ours.
        var (neighbour, _) = Account(prefix + "x");
        await neighbour.Table(TableNames.Roster).CreateIfNotExistsAsync();

        var (again, requests) = Account(prefix);
        await new StorageProvisioner(again).EnsureCreatedAsync(CancellationToken.None);
        Assert.Equal(2, requests.Count); // one listing of tables, one of queues; nothing created

        await again.Tables.DeleteTableAsync(prefix + TableNames.Roster);
        var (third, thirdRequests) = Account(prefix);
        await new StorageProvisioner(third).EnsureCreatedAsync(CancellationToken.None);

        Assert.Equal(3, thirdRequests.Count);
        Assert.Contains(thirdRequests.Paths, p => p.EndsWith("/Tables", StringComparison.Ordinal));
        await foreach (var _ in third.Table(TableNames.Roster).QueryAsync<Azure.Data.Tables.TableEntity>(maxPerPage: 1).AsPages(pageSizeHint: 1))
        {
            break;
        }
    }

    private static string NewPrefix() => "p" + Guid.NewGuid().ToString("N")[..10];

    private static (StorageAccount Account, RequestCounter Requests) Account(string prefix)
    {
        var counter = new RequestCounter();
        var account = StorageAccount.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage"] = TestEnvironment.StorageConnectionString,
                ["Storage:TablePrefix"] = prefix,
            })
            .Build(), counter);
        return (account, counter);
    }

    private sealed class RequestCounter : HttpPipelineSynchronousPolicy
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _paths = new();

        public int Count => _paths.Count;

        public IEnumerable<string> Paths => _paths;

        public override void OnSendingRequest(HttpMessage message) =>
            _paths.Enqueue($"{message.Request.Method} {message.Request.Uri.Path}");
    }
}

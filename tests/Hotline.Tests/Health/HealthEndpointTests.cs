using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Hotline.Functions.Configuration;
using Hotline.Functions.Demo;
using Hotline.Roster;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Health;

public sealed class HealthEndpointTests
{
    [Fact]
    public async Task Healthy_when_tables_queues_and_secrets_answer()
    {
        await using var app = await RunningApp.StartAsync();

        var response = await app.Http.GetAsync(new Uri("/api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("healthy", report.GetProperty("status").GetString());
        foreach (var check in new[] { "tables", "queues", "secrets" })
        {
            Assert.Equal("reachable", report.GetProperty("checks").GetProperty(check).GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Unhealthy_503_naming_what_is_down_when_storage_does_not_answer_and_no_secret_leaks()
    {
        // A port nobody listens on: storage is unreachable.
        var port = RunningApp.FreePort();
        const string key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
        var deadStorage = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};" +
                          $"QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";

        await using var app = await RunningApp.StartAsync(
            new Dictionary<string, string?> { ["AzureWebJobsStorage"] = deadStorage }, needsStorage: false);

        var response = await app.Http.GetAsync(new Uri("/api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        var report = JsonDocument.Parse(body).RootElement;
        Assert.Equal("unhealthy", report.GetProperty("status").GetString());
        Assert.Equal("unreachable", report.GetProperty("checks").GetProperty("tables").GetProperty("status").GetString());
        Assert.Equal("unreachable", report.GetProperty("checks").GetProperty("queues").GetProperty("status").GetString());
        Assert.Equal("reachable", report.GetProperty("checks").GetProperty("secrets").GetProperty("status").GetString());
        Assert.DoesNotContain(key, body, StringComparison.Ordinal);
        Assert.DoesNotContain("AccountKey", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_roster_is_seeded_into_table_storage_when_asked_and_not_otherwise()
    {
        string prefix;
        await using (var app = await RunningApp.StartAsync(new Dictionary<string, string?> { ["Demo:SeedRoster"] = "true" }))
        {
            prefix = app.Services.GetRequiredService<Hotline.Storage.StorageAccount>().TablePrefix;
            var roster = await app.Services.GetRequiredService<IRosterStore>().ListAsync();
            foreach (var counsellor in DemoRoster.Counsellors)
            {
                var stored = Assert.Single(roster, c => c.Id == counsellor.Id);
                Assert.Equal(counsellor.Languages, stored.Languages);
                Assert.Equal(counsellor.OnCall, stored.OnCall);
                Assert.Equal(counsellor.Capacity, stored.Capacity);
                Assert.Equal((counsellor.Phone, counsellor.TakesCallsOnPhone), (stored.Phone, stored.TakesCallsOnPhone));
            }
        }

        var table = new TableClient(TestEnvironment.StorageConnectionString, prefix + "Roster");
        Assert.Contains(table.Query<TableEntity>(), e => e.RowKey == "ana");
    }
}

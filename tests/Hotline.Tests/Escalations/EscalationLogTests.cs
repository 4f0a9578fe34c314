using Azure.Data.Tables;
using Hotline.Escalations;
using Hotline.Storage;
using Hotline.Tests.Infrastructure;

namespace Hotline.Tests.Escalations;

/// <summary>
/// The escalation log on Azurite: appends form one chain even from parallel writers, and verification finds an
/// edited entry, a deleted one, a swapped pair and a removed tail, naming the first broken entry.
/// </summary>
public sealed class EscalationLogTests : IAsyncLifetime
{
    private RunningApp _app = null!;

    public async Task InitializeAsync() => _app = await RunningApp.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private IEscalationLog Log => _app.Services.GetRequiredService<IEscalationLog>();

    private TableClient Table => _app.Services.GetRequiredService<StorageAccount>().Table(TableNames.EscalationLog);

    [Fact]
    public async Task Parallel_appends_form_one_unbroken_chain()
    {
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Log.AppendAsync($"e-{i % 4}", EscalationStep.Raised, "counsellor:ana", new Dictionary<string, string> { ["category"] = "violence-now" })));

        var (entries, head) = await Log.ReadAsync();
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), entries.Select(e => e.Sequence));
        Assert.Equal(ChainVerification.Ok(20), EscalationChain.Verify(entries, head));
    }

    [Fact]
    public async Task An_edited_entry_is_caught()
    {
        await AppendFiveAsync();
        var third = await Table.GetEntityAsync<TableEntity>("chain", Row(3));
        third.Value["Actor"] = "supervisor:someone-else";
        await Table.UpdateEntityAsync(third.Value, third.Value.ETag, TableUpdateMode.Replace);

        var result = await VerifyAsync();

        Assert.False(result.Intact);
        Assert.Equal(3, result.FirstBrokenSequence);
        Assert.Contains("altered", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_entry_is_caught()
    {
        await AppendFiveAsync();
        await Table.DeleteEntityAsync("chain", Row(2));

        var result = await VerifyAsync();

        Assert.Equal((false, 2L), (result.Intact, result.FirstBrokenSequence));
        Assert.Contains("entry 2 is missing", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_swapped_pair_is_caught_even_when_the_numbers_still_run_in_order()
    {
        await AppendFiveAsync();
        var second = (await Table.GetEntityAsync<TableEntity>("chain", Row(2))).Value;
        var third = (await Table.GetEntityAsync<TableEntity>("chain", Row(3))).Value;
        // Swap the two entries' contents but leave their sequence numbers, so they still read back as 1, 2, 3...
        foreach (var key in new[] { "At", "EscalationId", "Step", "Actor", "Details", "PreviousHash", "Hash" })
        {
            (second[key], third[key]) = (third[key], second[key]);
        }

        await Table.UpdateEntityAsync(second, second.ETag, TableUpdateMode.Replace);
        await Table.UpdateEntityAsync(third, third.ETag, TableUpdateMode.Replace);

        var result = await VerifyAsync();

        Assert.Equal((false, 2L), (result.Intact, result.FirstBrokenSequence));
    }

    [Fact]
    public async Task A_removed_tail_is_caught_by_the_head()
    {
        await AppendFiveAsync();
        await Table.DeleteEntityAsync("chain", Row(5));

        var result = await VerifyAsync();

        Assert.False(result.Intact);
        Assert.Contains("after 4 are missing", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chain_rebuilt_after_an_edit_is_caught_because_the_head_is_sealed_with_a_key()
    {
        await AppendFiveAsync();
        // Edit entry 3, then recompute every hash after it and move the head, as someone without the key would.
        var (entries, _) = await Log.ReadAsync();
        var previous = entries[1].Hash;
        foreach (var entry in entries.Skip(2))
        {
            var actor = entry.Sequence == 3 ? "supervisor:someone-else" : entry.Actor;
            var hash = EscalationChain.HashOf(entry.Sequence, entry.At, entry.EscalationId, entry.Step, actor, entry.Details, previous);
            var stored = (await Table.GetEntityAsync<TableEntity>("chain", Row(entry.Sequence))).Value;
            stored["Actor"] = actor;
            stored["PreviousHash"] = previous;
            stored["Hash"] = hash;
            await Table.UpdateEntityAsync(stored, stored.ETag, TableUpdateMode.Replace);
            previous = hash;
        }

        var head = (await Table.GetEntityAsync<TableEntity>("chain", "head")).Value;
        head["Hash"] = previous;
        await Table.UpdateEntityAsync(head, head.ETag, TableUpdateMode.Replace);

        var result = await VerifyAsync();

        Assert.False(result.Intact);
        Assert.Contains("not sealed with this hotline's key", result.Problem, StringComparison.Ordinal);
    }

    private async Task AppendFiveAsync()
    {
        foreach (var step in new[] { EscalationStep.Raised, EscalationStep.ConsentRecorded, EscalationStep.Sent, EscalationStep.Acknowledged, EscalationStep.Closed })
        {
            await Log.AppendAsync("e-1", step, "counsellor:ana", new Dictionary<string, string> { ["agency"] = "a-1" });
        }

        Assert.True((await VerifyAsync()).Intact);
    }

    private async Task<ChainVerification> VerifyAsync()
    {
        var (entries, head) = await Log.ReadAsync();
        return EscalationChain.Verify(entries, head);
    }

    private static string Row(long sequence) => sequence.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
}

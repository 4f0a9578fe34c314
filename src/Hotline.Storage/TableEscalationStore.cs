using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Hotline.Escalations;
using Hotline.Privacy;

namespace Hotline.Storage;

/// <summary>Escalations in <c>Escalations</c>, one entity each; the facts (personal data) are encrypted, bound to the escalation.</summary>
public sealed class TableEscalationStore(StorageAccount account, MessageTextProtector protector) : IEscalationStore
{
    private const string Row = "escalation";

    private TableClient Table => account.Table(TableNames.Escalations);

    public async Task<Escalation?> FindAsync(string escalationId, CancellationToken cancellationToken = default)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(escalationId, Row, cancellationToken: cancellationToken);
        if (!response.HasValue)
        {
            return null;
        }

        var e = response.Value!;
        var facts = e.GetString("Facts") is { } sealedFacts
            ? JsonSerializer.Deserialize<EmergencyFacts>(await protector.UnprotectAsync(sealedFacts, escalationId + "/facts", cancellationToken))!
            : new EmergencyFacts();
        return new Escalation
        {
            Id = escalationId,
            ConversationId = e.GetString("ConversationId")!,
            Source = e.GetString("Source")!,
            RaisedBy = e.GetString("RaisedBy")!,
            RaisedAt = e.GetDateTimeOffset("RaisedAt") ?? default,
            Language = e.GetString("Language") ?? string.Empty,
            Category = e.GetString("Category"),
            Facts = facts,
            Indicators = Json<List<string>>(e, "Indicators") ?? [],
            Consents = Json<List<Consent>>(e, "Consents") ?? [],
            Exceptions = Json<List<ExceptionApproval>>(e, "Exceptions") ?? [],
            Version = e.ETag.ToString(),
        };
    }

    public async Task<bool> CreateAsync(Escalation escalation, CancellationToken cancellationToken = default)
    {
        try
        {
            await Table.AddEntityAsync(await ToEntityAsync(escalation, cancellationToken), cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    public async Task<bool> TryUpdateAsync(Escalation escalation, CancellationToken cancellationToken = default)
    {
        try
        {
            await Table.UpdateEntityAsync(await ToEntityAsync(escalation, cancellationToken), new ETag(escalation.Version!), TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    private async Task<TableEntity> ToEntityAsync(Escalation x, CancellationToken cancellationToken) => new(x.Id, Row)
    {
        ["ConversationId"] = x.ConversationId,
        ["Source"] = x.Source,
        ["RaisedBy"] = x.RaisedBy,
        ["RaisedAt"] = x.RaisedAt,
        ["Language"] = x.Language,
        ["Category"] = x.Category,
        ["Facts"] = await protector.ProtectAsync(JsonSerializer.Serialize(x.Facts), x.Id + "/facts", cancellationToken),
        ["Indicators"] = JsonSerializer.Serialize(x.Indicators),
        ["Consents"] = JsonSerializer.Serialize(x.Consents),
        ["Exceptions"] = JsonSerializer.Serialize(x.Exceptions),
    };

    private static T? Json<T>(TableEntity e, string key) => e.GetString(key) is { } json ? JsonSerializer.Deserialize<T>(json) : default;
}

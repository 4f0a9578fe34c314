using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Hotline.Calls;
using Hotline.Conversations;
using Hotline.Privacy;

namespace Hotline.Storage;

/// <summary>
/// Conversations in Table storage. Each conversation is one partition of <c>Conversations</c> holding its summary
/// ("meta"), its messages (time-ordered row keys) and a marker per provider message id, so appending a message,
/// moving the last-message time and detecting a redelivered webhook happen in one atomic batch. Open conversations
/// are also listed in one partition of <c>OpenConversations</c> for the counsellor and supervisor lists, and each
/// caller pseudonym's partition of <c>Callers</c> holds their record (open conversation, contacts) and any block on
/// them. Message bodies are stored encrypted.
/// </summary>
public sealed class TableConversationStore(StorageAccount account, MessageTextProtector textProtector, ConversationRetention retention)
    : IConversationStore
{
    private const string MetaRow = "meta";
    private const string IntakeRow = "intake";
    private const string OpenPartition = "open";
    private const string CallerRow = "caller";
    private const string BlockRow = "block";
    private const string PurgePartition = "purge-reply-address";
    // Markers of inbound messages taken in, kept apart from the conversations so that erasing or closing one does not
    // forget them (a replayed webhook would otherwise be stored again).
    private const string ProcessedPartition = "processed-message";

    private TableClient Conversations => account.Table(TableNames.Conversations);

    private TableClient Open => account.Table(TableNames.OpenConversations);

    private TableClient Processed => account.Table(TableNames.ProcessedMessages);

    private TableClient Callers => account.Table(TableNames.Callers);

    public async Task<Conversation?> FindAsync(string conversationId, CancellationToken cancellationToken = default)
    {
        var response = await Conversations.GetEntityIfExistsAsync<TableEntity>(conversationId, MetaRow, cancellationToken: cancellationToken);
        return response.HasValue ? ToConversation(response.Value!) : null;
    }

    public async Task<IReadOnlyList<ConversationMessage>> MessagesAsync(string conversationId, CancellationToken cancellationToken = default)
    {
        var messages = new List<ConversationMessage>();
        await foreach (var e in Conversations.QueryAsync<TableEntity>(
            x => x.PartitionKey == conversationId && x.RowKey.CompareTo("m-") >= 0 && x.RowKey.CompareTo("m.") < 0,
            cancellationToken: cancellationToken))
        {
            var id = e.GetString("MessageId")!;
            var text = await textProtector.UnprotectAsync(e.GetString("Text")!, conversationId + "/" + id, cancellationToken);
            messages.Add(ToMessage(e, text));
        }

        return messages;
    }

    public async Task<ConversationMessage?> FindMessageAsync(string conversationId, string messageId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var response = await Conversations.GetEntityIfExistsAsync<TableEntity>(conversationId, MessageRowKey(at, messageId), cancellationToken: cancellationToken);
        if (!response.HasValue)
        {
            return null;
        }

        var e = response.Value!;
        return ToMessage(e, await textProtector.UnprotectAsync(e.GetString("Text")!, conversationId + "/" + messageId, cancellationToken));
    }

    public async Task UpdateDeliveryAsync(string conversationId, ConversationMessage message, string status, string? providerMessageId, CancellationToken cancellationToken = default)
    {
        var update = new TableEntity(conversationId, MessageRowKey(message.At, message.Id))
        {
            ["DeliveryStatus"] = status,
            ["DeliveryUpdatedAt"] = DateTimeOffset.UtcNow,
        };
        if (providerMessageId is not null)
        {
            update["ProviderMessageId"] = providerMessageId;
        }

        await Conversations.UpdateEntityAsync(update, ETag.All, TableUpdateMode.Merge, cancellationToken);
    }

    private static ConversationMessage ToMessage(TableEntity e, string text) => new(
        e.GetString("MessageId")!,
        Enum.Parse<MessageDirection>(e.GetString("Direction")!),
        new SensitiveText(text),
        e.GetDateTimeOffset("At")!.Value,
        e.GetString("Author"),
        e.GetString("DeliveryStatus"))
    {
        DeliveryUpdatedAt = e.GetDateTimeOffset("DeliveryUpdatedAt"),
        ProviderMessageId = e.GetString("ProviderMessageId"),
    };

    private static string MessageRowKey(DateTimeOffset at, string messageId) =>
        string.Create(CultureInfo.InvariantCulture, $"m-{at.UtcTicks:D19}-{messageId}");

    public async Task<IReadOnlyList<Conversation>> ListOpenAsync(string? counsellorId = null, CancellationToken cancellationToken = default)
    {
        var ids = new List<string>();
        var query = counsellorId is null
            ? Open.QueryAsync<TableEntity>(x => x.PartitionKey == OpenPartition, cancellationToken: cancellationToken)
            : Open.QueryAsync<TableEntity>(x => x.PartitionKey == OpenPartition && x.GetString("AssignedTo") == counsellorId, cancellationToken: cancellationToken);
        await foreach (var e in query)
        {
            ids.Add(e.RowKey);
        }

        var found = await Task.WhenAll(ids.Select(id => FindAsync(id, cancellationToken)));
        return found.OfType<Conversation>().Where(c => c.IsOpen).ToList();
    }

    public async Task SaveIntakeAsync(string conversationId, Intake intake, CancellationToken cancellationToken = default)
    {
        // Free-text notes and personal details: encrypted like message bodies, bound to this conversation.
        var data = await textProtector.ProtectAsync(JsonSerializer.Serialize(intake), conversationId + "/" + IntakeRow, cancellationToken);
        await Conversations.UpsertEntityAsync(new TableEntity(conversationId, IntakeRow) { ["Data"] = data }, TableUpdateMode.Replace, cancellationToken);
    }

    public async Task<Intake?> FindIntakeAsync(string conversationId, CancellationToken cancellationToken = default)
    {
        var response = await Conversations.GetEntityIfExistsAsync<TableEntity>(conversationId, IntakeRow, cancellationToken: cancellationToken);
        if (!response.HasValue)
        {
            return null;
        }

        var json = await textProtector.UnprotectAsync(response.Value!.GetString("Data")!, conversationId + "/" + IntakeRow, cancellationToken);
        return JsonSerializer.Deserialize<Intake>(json);
    }

    public async Task<IReadOnlyList<OpenConversationSummary>> ListOpenSummariesAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<OpenConversationSummary>();
        await foreach (var e in Open.QueryAsync<TableEntity>(x => x.PartitionKey == OpenPartition, cancellationToken: cancellationToken))
        {
            result.Add(new OpenConversationSummary(
                e.RowKey,
                Enum.Parse<ConversationStatus>(e.GetString("Status")!),
                NullIfEmpty(e.GetString("AssignedTo")),
                e.GetDateTimeOffset("CreatedAt") ?? default,
                e.GetDateTimeOffset("OfferedAt"),
                e.GetString("Language") ?? string.Empty)
            {
                EmergencyAt = e.GetDateTimeOffset("EmergencyAt"),
                CallWaitingSince = e.GetDateTimeOffset("CallWaitingSince"),
            });
        }

        return result;
    }

    public async Task<CallerRecord?> FindCallerAsync(string pseudonym, CancellationToken cancellationToken = default)
    {
        // The caller's partition holds their record and any block on them: one query reads both.
        TableEntity? record = null;
        CallerBlock? block = null;
        await foreach (var e in Callers.QueryAsync<TableEntity>(x => x.PartitionKey == pseudonym, cancellationToken: cancellationToken))
        {
            if (e.RowKey == CallerRow)
            {
                record = e;
            }
            else if (e.RowKey == BlockRow)
            {
                block = ToBlock(e);
            }
        }

        if (record is null)
        {
            return block is null ? null : new CallerRecord(pseudonym, null, 0, null, null, block);
        }

        return new CallerRecord(pseudonym, NullIfEmpty(record.GetString("OpenConversationId")), record.GetInt32("Contacts") ?? 0,
            record.GetString("Language"), record.ETag.ToString(), block)
        {
            LastConversationId = NullIfEmpty(record.GetString("LastConversationId")),
            ConversationIds = (record.GetString("ConversationIds") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries),
        };
    }

    public async Task BlockCallerAsync(CallerBlock block, CancellationToken cancellationToken = default) =>
        await Callers.UpsertEntityAsync(new TableEntity(block.Pseudonym, BlockRow)
        {
            ["Reason"] = block.Reason,
            ["BlockedBy"] = block.BlockedBy,
            ["BlockedAt"] = block.BlockedAt,
            ["Until"] = block.Until,
        }, TableUpdateMode.Replace, cancellationToken);

    public async Task<bool> UnblockCallerAsync(string pseudonym, CancellationToken cancellationToken = default)
    {
        // The SDK answers a delete of a missing entity with its 404 response rather than an exception.
        var response = await Callers.DeleteEntityAsync(pseudonym, BlockRow, ETag.All, cancellationToken);
        return response.Status != 404;
    }

    public async Task<IReadOnlyList<CallerBlock>> ListBlocksAsync(CancellationToken cancellationToken = default)
    {
        var blocks = new List<CallerBlock>();
        await foreach (var e in Callers.QueryAsync<TableEntity>(x => x.RowKey == BlockRow, cancellationToken: cancellationToken))
        {
            blocks.Add(ToBlock(e));
        }

        return blocks;
    }

    private static CallerBlock ToBlock(TableEntity e) => new(
        e.PartitionKey, e.GetString("Reason") ?? string.Empty, e.GetString("BlockedBy") ?? string.Empty,
        e.GetDateTimeOffset("BlockedAt") ?? default, e.GetDateTimeOffset("Until") ?? default);

    public async Task<string> LinkCallerAsync(
        string pseudonym, string conversationId, string language, CallerRecord? current, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var existing = attempt == 0 ? current : await FindCallerAsync(pseudonym, cancellationToken);
            try
            {
                if (existing?.Version is null)
                {
                    await Callers.AddEntityAsync(CallerEntity(pseudonym, conversationId, 1, language, []), cancellationToken);
                    return conversationId;
                }

                if (existing.OpenConversationId is { } open)
                {
                    return open; // someone linked first
                }

                await Callers.UpdateEntityAsync(
                    CallerEntity(pseudonym, conversationId, existing.Contacts + 1, language, existing.ConversationIds),
                    new ETag(existing.Version!), TableUpdateMode.Replace, cancellationToken);
                return conversationId;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Raced with another request for the same caller: read again.
            }
        }

        throw new InvalidOperationException("Could not link the caller to a conversation.");
    }

    public async Task UnlinkCallerAsync(string pseudonym, string conversationId, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var existing = await Callers.GetEntityIfExistsAsync<TableEntity>(pseudonym, CallerRow, cancellationToken: cancellationToken);
            if (!existing.HasValue || existing.Value!.GetString("OpenConversationId") != conversationId)
            {
                return;
            }

            var e = existing.Value;
            e["OpenConversationId"] = string.Empty;
            e["LastConversationId"] = conversationId;
            try
            {
                await Callers.UpdateEntityAsync(e, e.ETag, TableUpdateMode.Replace, cancellationToken);
                return;
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
            }
        }
    }

    public async Task<bool> CreateAsync(Conversation conversation, ConversationMessage first, string? providerMessageId, CancellationToken cancellationToken = default)
    {
        var batch = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.Add, ToEntity(conversation)),
            new(TableTransactionActionType.Add, await MessageEntityAsync(conversation.Id, first, cancellationToken)),
        };
        if (providerMessageId is not null)
        {
            batch.Add(new(TableTransactionActionType.Add, new TableEntity(conversation.Id, "sid-" + providerMessageId)));
        }

        try
        {
            await Conversations.SubmitTransactionAsync(batch, cancellationToken);
        }
        catch (TableTransactionFailedException e) when (e.Status == 409)
        {
            return false;
        }

        await Open.UpsertEntityAsync(OpenEntity(conversation), TableUpdateMode.Replace, cancellationToken);
        return true;
    }

    public Task<bool> AppendAsync(string conversationId, ConversationMessage message, string? providerMessageId, CancellationToken cancellationToken = default) =>
        AppendAsync(conversationId, message, providerMessageId, ETag.All, cancellationToken);

    public Task<bool> AppendIfUnchangedAsync(string conversationId, ConversationMessage message, string expectedVersion, CancellationToken cancellationToken = default) =>
        AppendAsync(conversationId, message, null, new ETag(expectedVersion), cancellationToken);

    private async Task<bool> AppendAsync(
        string conversationId, ConversationMessage message, string? providerMessageId, ETag metaVersion, CancellationToken cancellationToken)
    {
        var batch = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.Add, await MessageEntityAsync(conversationId, message, cancellationToken)),
            new(TableTransactionActionType.UpdateMerge, new TableEntity(conversationId, MetaRow)
            {
                ["LastMessageAt"] = message.At,
                [message.Direction == MessageDirection.Inbound ? "LastInboundAt" : "LastOutboundAt"] = message.At,
            }, metaVersion),
        };
        if (providerMessageId is not null)
        {
            batch.Add(new(TableTransactionActionType.Add, new TableEntity(conversationId, "sid-" + providerMessageId)));
        }

        try
        {
            await Conversations.SubmitTransactionAsync(batch, cancellationToken);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
        {
            return false; // the same provider message again (already stored), or the conversation changed meanwhile
        }
    }

    public async Task<bool> TryUpdateAsync(Conversation conversation, CancellationToken cancellationToken = default)
    {
        try
        {
            await Conversations.UpdateEntityAsync(ToEntity(conversation), new ETag(conversation.Version!), TableUpdateMode.Replace, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }

        if (conversation.IsOpen)
        {
            await Open.UpsertEntityAsync(OpenEntity(conversation), TableUpdateMode.Replace, cancellationToken);
        }
        else
        {
            await Open.DeleteEntityAsync(OpenPartition, conversation.Id, ETag.All, cancellationToken);
            if (conversation.ProtectedReplyAddress is not null)
            {
                await Open.UpsertEntityAsync(
                    new TableEntity(PurgePartition, conversation.Id) { ["DueAt"] = (conversation.ClosedAt ?? DateTimeOffset.UtcNow) + retention.ReplyAddressGrace },
                    TableUpdateMode.Replace, cancellationToken);
            }
        }

        return true;
    }

    public async Task EraseCallerAsync(CallerRecord caller, CancellationToken cancellationToken = default)
    {
        var ids = caller.ConversationIds
            .Append(caller.OpenConversationId).Append(caller.LastConversationId)
            .OfType<string>().Distinct(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            await EraseConversationAsync(id, cancellationToken);
        }

        // The record goes last: should erasing stop half-way, a repeated request still finds what is left.
        await Callers.DeleteEntityAsync(caller.Pseudonym, CallerRow, ETag.All, cancellationToken);
    }

    private async Task EraseConversationAsync(string conversationId, CancellationToken cancellationToken)
    {
        var rows = new List<TableEntity>();
        await foreach (var e in Conversations.QueryAsync<TableEntity>(x => x.PartitionKey == conversationId, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            rows.Add(e);
        }

        // Entity group transactions hold at most 100 operations, all in one partition.
        foreach (var chunk in rows.Chunk(100))
        {
            await Conversations.SubmitTransactionAsync(
                chunk.Select(e => new TableTransactionAction(TableTransactionActionType.Delete, e, ETag.All)), cancellationToken);
        }

        await Open.DeleteEntityAsync(OpenPartition, conversationId, ETag.All, cancellationToken);
        await Open.DeleteEntityAsync(PurgePartition, conversationId, ETag.All, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> DueForReplyAddressPurgeAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var due = new List<string>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PurgePartition} and DueAt le {now}");
        await foreach (var e in Open.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            due.Add(e.RowKey);
        }

        return due;
    }

    public async Task PurgeReplyAddressAsync(string conversationId, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var current = await Conversations.GetEntityIfExistsAsync<TableEntity>(conversationId, MetaRow, cancellationToken: cancellationToken);
            if (!current.HasValue)
            {
                break;
            }

            var entity = current.Value!;
            if (!entity.Remove("ReplyAddress"))
            {
                break;
            }

            try
            {
                // Replace, not merge: a merge cannot remove a property.
                await Conversations.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken);
                break;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
            }
        }

        await Open.DeleteEntityAsync(PurgePartition, conversationId, ETag.All, cancellationToken);
    }

    public async Task<bool> WasProcessedAsync(string marker, CancellationToken cancellationToken = default) =>
        (await Processed.GetEntityIfExistsAsync<TableEntity>(ProcessedPartitionOf(marker), marker, select: ["RowKey"], cancellationToken: cancellationToken)).HasValue;

    public async Task RememberProcessedAsync(string marker, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        await Processed.UpsertEntityAsync(new TableEntity(ProcessedPartitionOf(marker), marker) { ["At"] = at }, TableUpdateMode.Replace, cancellationToken);

    // Markers are spread over 4,096 partitions by their first hex digits: no one partition grows with all traffic.
    private static string ProcessedPartitionOf(string marker) => ProcessedPartition + "-" + marker[..3];

    public async Task ForgetProcessedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        var old = new List<TableEntity>();
        var filter = TableClient.CreateQueryFilter($"At lt {before}");
        await foreach (var e in Processed.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            old.Add(e);
        }

        foreach (var chunk in old.GroupBy(e => e.PartitionKey).SelectMany(p => p.Chunk(100)))
        {
            try
            {
                await Processed.SubmitTransactionAsync(
                    chunk.Select(e => new TableTransactionAction(TableTransactionActionType.Delete, e, ETag.All)), cancellationToken);
            }
            catch (TableTransactionFailedException e) when (e.Status == 404)
            {
                // Another run deleted one of them first; what is left goes at the next run.
            }
        }
    }

    private async Task<TableEntity> MessageEntityAsync(string conversationId, ConversationMessage message, CancellationToken cancellationToken)
    {
        return new TableEntity(conversationId, MessageRowKey(message.At, message.Id))
        {
            ["MessageId"] = message.Id,
            ["Direction"] = message.Direction.ToString(),
            ["Text"] = await textProtector.ProtectAsync(message.Text.Reveal(), conversationId + "/" + message.Id, cancellationToken),
            ["At"] = message.At,
            ["Author"] = message.Author,
            ["DeliveryStatus"] = message.DeliveryStatus,
        };
    }

    private static TableEntity ToEntity(Conversation c) => new(c.Id, MetaRow)
    {
        ["Channel"] = c.Channel,
        ["Language"] = c.Language,
        ["CallerPseudonym"] = c.CallerPseudonym,
        ["CallerContacts"] = c.CallerContacts,
        ["Status"] = c.Status.ToString(),
        ["AssignedTo"] = c.AssignedTo,
        ["CreatedAt"] = c.CreatedAt,
        ["LastMessageAt"] = c.LastMessageAt,
        ["LastInboundAt"] = c.LastInboundAt,
        ["LastOutboundAt"] = c.LastOutboundAt,
        ["OfferedAt"] = c.OfferedAt,
        ["HotlineNumber"] = c.HotlineNumber,
        ["Reachable"] = c.Reachable,
        ["ReplyAddress"] = c.ProtectedReplyAddress,
        ["Hops"] = JsonSerializer.Serialize(c.Hops),
        ["ClosedAt"] = c.ClosedAt,
        ["EmergencyAt"] = c.EmergencyAt,
        ["EscalationId"] = c.EscalationId,
        ["CallbackRequestedAt"] = c.CallbackRequestedAt,
        ["CallbackRequestId"] = c.CallbackRequestId,
        ["Calls"] = c.Calls.Count == 0 ? null : JsonSerializer.Serialize(c.Calls),
    };

    private static Conversation ToConversation(TableEntity e) => new()
    {
        Id = e.PartitionKey,
        Channel = e.GetString("Channel")!,
        Language = e.GetString("Language")!,
        CallerPseudonym = e.GetString("CallerPseudonym")!,
        CallerContacts = e.GetInt32("CallerContacts") ?? 1,
        Status = Enum.Parse<ConversationStatus>(e.GetString("Status")!),
        AssignedTo = e.GetString("AssignedTo"),
        CreatedAt = e.GetDateTimeOffset("CreatedAt") ?? default,
        LastMessageAt = e.GetDateTimeOffset("LastMessageAt") ?? default,
        LastInboundAt = e.GetDateTimeOffset("LastInboundAt"),
        LastOutboundAt = e.GetDateTimeOffset("LastOutboundAt"),
        OfferedAt = e.GetDateTimeOffset("OfferedAt"),
        HotlineNumber = e.GetString("HotlineNumber"),
        Reachable = e.GetBoolean("Reachable") ?? true,
        ProtectedReplyAddress = e.GetString("ReplyAddress"),
        Hops = JsonSerializer.Deserialize<List<RoutingHop>>(e.GetString("Hops") ?? "[]") ?? [],
        ClosedAt = e.GetDateTimeOffset("ClosedAt"),
        EmergencyAt = e.GetDateTimeOffset("EmergencyAt"),
        EscalationId = e.GetString("EscalationId"),
        CallbackRequestedAt = e.GetDateTimeOffset("CallbackRequestedAt"),
        CallbackRequestId = e.GetString("CallbackRequestId"),
        Calls = e.GetString("Calls") is { } calls ? JsonSerializer.Deserialize<List<Hotline.Calls.PhoneCall>>(calls) ?? [] : [],
        Version = e.ETag.ToString(),
    };

    private static TableEntity OpenEntity(Conversation c) => new(OpenPartition, c.Id)
    {
        ["AssignedTo"] = c.AssignedTo ?? string.Empty,
        ["Status"] = c.Status.ToString(),
        ["Language"] = c.Language,
        ["CreatedAt"] = c.CreatedAt,
        ["OfferedAt"] = c.OfferedAt,
        ["EmergencyAt"] = c.EmergencyAt,
        ["CallWaitingSince"] = c.CurrentCall is { Phase: CallPhase.Menu or CallPhase.Safety or CallPhase.Ringing } call ? call.WaitingSince ?? call.StartedAt : null,
    };

    // Keeps the ids of the caller's most recent conversations (well within a property's 32K characters).
    private const int RememberedConversations = 500;

    private static TableEntity CallerEntity(string pseudonym, string conversationId, int contacts, string language, IReadOnlyList<string> earlier) =>
        new(pseudonym, CallerRow)
        {
            ["OpenConversationId"] = conversationId, ["Contacts"] = contacts, ["Language"] = language,
            ["ConversationIds"] = string.Join(',', earlier.Append(conversationId).Distinct(StringComparer.Ordinal).TakeLast(RememberedConversations)),
        };

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

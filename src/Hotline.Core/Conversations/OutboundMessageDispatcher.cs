using Hotline.Messaging;
using Hotline.Privacy;

namespace Hotline.Conversations;

/// <summary>
/// Delivers a counsellor's stored reply to the caller's phone, exactly once however often the queue redelivers the
/// request: the attempt is recorded ("sending") before the provider is called and the result after; a redelivery
/// that finds "sending" first asks the provider whether the message went out, and only sends if it did not. A
/// caller who opted out (STOP) makes the conversation unreachable, which the counsellor sees.
/// </summary>
public sealed class OutboundMessageDispatcher(
    IConversationStore store,
    ISmsSender sender,
    ReplyAddressProtector replyAddresses)
{
    // How far before the recorded attempt to look for an already-sent copy (clock differences with the provider).
    private static readonly TimeSpan ReconcileMargin = TimeSpan.FromMinutes(5);

    public async Task DispatchAsync(OutboundRequest request, CancellationToken cancellationToken = default)
    {
        var at = new DateTimeOffset(request.AtTicks, TimeSpan.Zero);
        var message = await store.FindMessageAsync(request.ConversationId, request.MessageId, at, cancellationToken);
        var conversation = await store.FindAsync(request.ConversationId, cancellationToken);
        if (message is null || conversation is null)
        {
            return; // erased at the caller's request: nothing to send
        }

        if (message.DeliveryStatus is DeliveryStatuses.Sent or DeliveryStatuses.Unreachable or DeliveryStatuses.Failed)
        {
            return;
        }

        if (conversation.ProtectedReplyAddress is null || !conversation.Reachable)
        {
            await store.UpdateDeliveryAsync(conversation.Id, message, DeliveryStatuses.Unreachable, null, cancellationToken);
            return;
        }

        var to = await replyAddresses.UnprotectAsync(conversation.ProtectedReplyAddress, conversation.Id, cancellationToken);
        var from = conversation.HotlineNumber ?? throw new InvalidOperationException("The conversation has no hotline number to reply from.");
        var body = message.Text.Reveal();

        if (message.DeliveryStatus == DeliveryStatuses.Sending)
        {
            var since = (message.DeliveryUpdatedAt ?? message.At) - ReconcileMargin;
            if (await sender.FindSentAsync(to, from, body, since, cancellationToken) is { } alreadySent)
            {
                await store.UpdateDeliveryAsync(conversation.Id, message, DeliveryStatuses.Sent, alreadySent, cancellationToken);
                return;
            }
        }

        await store.UpdateDeliveryAsync(conversation.Id, message, DeliveryStatuses.Sending, null, cancellationToken);
        var result = await sender.SendAsync(to, from, body, cancellationToken); // throws when the provider is unavailable: the queue retries
        switch (result)
        {
            case SmsSendResult.Sent sent:
                await store.UpdateDeliveryAsync(conversation.Id, message, DeliveryStatuses.Sent, sent.ProviderMessageId, cancellationToken);
                break;
            case SmsSendResult.Unreachable:
                // The conversation first: an attempt that dies in between leaves the message "sending", so the
                // redelivery finishes the job; the other way round it would stop at the settled message and leave
                // the counsellor typing to a phone that refuses us.
                await MarkUnreachableAsync(conversation, cancellationToken);
                await store.UpdateDeliveryAsync(conversation.Id, message, DeliveryStatuses.Unreachable, null, cancellationToken);
                break;
            case SmsSendResult.Rejected rejected:
                await store.UpdateDeliveryAsync(conversation.Id, message, DeliveryStatuses.Failed + ": " + rejected.Reason, null, cancellationToken);
                break;
        }
    }

    private async Task MarkUnreachableAsync(Conversation conversation, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 10 && conversation is { Reachable: true }; attempt++)
        {
            if (await store.TryUpdateAsync(conversation with { Reachable = false }, cancellationToken))
            {
                return;
            }

            conversation = (await store.FindAsync(conversation.Id, cancellationToken))!;
        }
    }
}

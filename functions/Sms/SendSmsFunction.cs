using Hotline.Conversations;
using Hotline.Functions.Hosting;
using Hotline.Messaging;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Sms;

/// <summary>Queue <c>sms-outbound</c>: delivers one counsellor reply by SMS, once.</summary>
public sealed class SendSmsFunction(OutboundMessageDispatcher dispatcher)
{
    [Function("SendSms")]
    public Task Run([QueueTrigger(QueueNames.SmsOutbound)] string text, CancellationToken cancellationToken)
    {
        var message = QueueMessage.Read<OutboundRequest>(text, "SendSms");
        if (!ConversationIds.IsValid(message.ConversationId))
        {
            throw new InvalidQueueMessageException("SendSms: not a conversation id.");
        }

        return dispatcher.DispatchAsync(message, cancellationToken);
    }
}

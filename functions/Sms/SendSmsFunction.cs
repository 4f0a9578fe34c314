using Hotline.Conversations;
using Hotline.Functions.Hosting;
using Hotline.Messaging;

namespace Hotline.Functions.Sms;

/// <summary>Queue <c>sms-outbound</c>: delivers one counsellor reply by SMS, once.</summary>
public sealed class SendSmsFunction(OutboundMessageDispatcher dispatcher) : QueueFunction<OutboundRequest>
{
    public override string Name => "SendSms";

    protected override Task HandleAsync(OutboundRequest message, QueueMessageInfo info, CancellationToken cancellationToken)
    {
        if (!ConversationIds.IsValid(message.ConversationId))
        {
            throw new InvalidInvocationException("SendSms: not a conversation id.");
        }

        return dispatcher.DispatchAsync(message, cancellationToken);
    }
}

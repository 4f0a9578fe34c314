using Hotline.Functions.Hosting;
using Hotline.Messaging;

namespace Hotline.Tests.Hosting;

/// <summary>A queue message that is not what its queue carries fails its invocation (so it ends in the poison queue) and never echoes its content.</summary>
public sealed class QueueMessageTests
{
    [Theory]
    [InlineData("call me on +40721000000 please")]
    [InlineData("""{"conversationId": 42, "body": "+40721000000"}""")]
    [InlineData("")]
    public void A_message_that_is_not_the_expected_JSON_fails_without_echoing_its_content(string text)
    {
        var e = Assert.Throws<InvalidQueueMessageException>(() => QueueMessage.Read<OutboundRequest>(text, "SendSms"));
        Assert.StartsWith("SendSms: ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("40721000000", e.Message, StringComparison.Ordinal);
        Assert.Null(e.InnerException);
    }

    [Fact]
    public void A_message_of_its_queue_reads_as_sent()
    {
        var message = QueueMessage.Read<OutboundRequest>("""{"conversationId":"c-0123456789abcdef0123","messageId":"m1","atTicks":5}""", "SendSms");
        Assert.Equal(new OutboundRequest("c-0123456789abcdef0123", "m1", 5), message);
    }
}

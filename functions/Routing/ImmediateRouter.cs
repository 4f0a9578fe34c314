using System.Threading.Channels;
using Hotline.Conversations;
using Hotline.Messaging;

namespace Hotline.Functions.Routing;

/// <summary>
/// Routes a new conversation in this process as soon as its first message is stored, so a counsellor is offered it
/// within milliseconds instead of after the next queue poll (up to the host's maximum polling interval, seconds when
/// the queue was idle). Best effort by design: the routing request queued with a delay before the caller was answered
/// is the durable one, and routing twice is harmless (<see cref="ConversationAssigner"/> is idempotent). Once routed
/// here, that request is withdrawn, so it costs no second routing 10 s later.
/// </summary>
/// <param name="assigner">
/// Resolved on the first route, not when the worker starts: it needs the stores and the caller texts, which would
/// otherwise delay the worker's first answer.
/// </param>
/// <param name="enabled">Off (setting <c>Routing__Immediate</c>), requests are ignored and only the queue routes.</param>
public sealed class ImmediateRouter(Lazy<ConversationAssigner> assigner, IWorkQueue queue, ILogger<ImmediateRouter> logger, bool enabled) : BackgroundService
{
    private const int MaxConcurrentRoutes = 8;

    // Bounded so a flood cannot grow memory; a request dropped here is routed by the queued request instead.
    private readonly Channel<(string Id, QueuedMessage? Fallback)> _pending = Channel.CreateBounded<(string, QueuedMessage?)>(
        new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    /// <param name="fallback">The queued request that routes it should this process not; withdrawn once routed.</param>
    public void Request(string conversationId, QueuedMessage? fallback = null)
    {
        if (enabled)
        {
            _pending.Writer.TryWrite((conversationId, fallback));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!enabled)
        {
            return;
        }

        var options = new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentRoutes, CancellationToken = stoppingToken };
        try
        {
            await Parallel.ForEachAsync(_pending.Reader.ReadAllAsync(stoppingToken), options, async (request, ct) =>
            {
                try
                {
                    await assigner.Value.AssignAsync(request.Id, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Immediate routing of conversation {ConversationId} failed; the queued request will route it.", request.Id);
                    return;
                }

                if (request.Fallback is { } fallback)
                {
                    try
                    {
                        await queue.WithdrawAsync(fallback, ct);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // Harmless: the request routes the conversation again, which changes nothing.
                        logger.LogDebug(e, "The fallback routing request of conversation {ConversationId} could not be withdrawn.", request.Id);
                    }
                }
            });
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: anything still pending is routed from the queue.
        }
    }
}

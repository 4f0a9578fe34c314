using Hotline.Calls;
using Hotline.Conversations;
using Hotline.Roster;
using Hotline.Twilio;

namespace Hotline.Functions.Voice;

/// <summary>
/// Rings counsellors' phones for a waiting caller through Twilio's REST API, and stops them once they are no longer
/// needed. A phone that cannot be rung is logged (by counsellor id, never by number) and left out: the round goes on
/// with the others, and the caller still reaches the next round or the offer.
/// </summary>
public sealed class CounsellorRinger(TwilioPhoneCalls calls, CallSettings settings, ILogger<CounsellorRinger> log)
{
    /// <summary>Rings each counsellor's phone at once; the phone shows the number the caller dialled, never the caller's.</summary>
    public async Task<IReadOnlyList<CounsellorRing>> RingAsync(
        Uri publicBase, Conversation conversation, IReadOnlyList<Counsellor> counsellors, CancellationToken cancellationToken)
    {
        var call = conversation.CurrentCall!;
        var line = call.Line ?? conversation.HotlineNumber ?? string.Empty;
        var rung = await Task.WhenAll(counsellors.Where(c => c.Phone is not null).Select(async counsellor =>
        {
            var whisper = CallAnswers.Step(publicBase, "whisper", conversation.Id, ("p", call.CallSid), ("k", counsellor.Id));
            try
            {
                return new CounsellorRing(counsellor.Id, await calls.CallAsync(counsellor.Phone!.Reveal(), line, whisper, settings.RingTime, cancellationToken));
            }
            catch (Exception e) when (IsTwilioFailure(e, cancellationToken))
            {
                log.LogWarning("Could not ring counsellor {CounsellorId}'s phone for conversation {ConversationId}: {Failure}", counsellor.Id, conversation.Id, Describe(e));
                return null;
            }
        }));
        return rung.OfType<CounsellorRing>().ToList();
    }

    /// <summary>Stops these phones if they still ring; a failure is logged, not thrown (the phone stops on its own after the ring time).</summary>
    public async Task StopAsync(IEnumerable<CounsellorRing> rings, CancellationToken cancellationToken)
    {
        await Task.WhenAll(rings.Select(async ring =>
        {
            try
            {
                await calls.CancelAsync(ring.Sid, cancellationToken);
            }
            catch (Exception e) when (IsTwilioFailure(e, cancellationToken))
            {
                log.LogWarning("Could not stop counsellor {CounsellorId}'s phone ringing: {Failure}", ring.CounsellorId, Describe(e));
            }
        }));
    }

    /// <summary>Removes a caller's queue once they left it; a failure is only logged (an empty queue is harmless).</summary>
    public async Task RemoveQueueAsync(string queueSid, CancellationToken cancellationToken)
    {
        try
        {
            await calls.DeleteQueueAsync(queueSid, cancellationToken);
        }
        catch (Exception e) when (IsTwilioFailure(e, cancellationToken))
        {
            log.LogWarning("Could not delete a caller's queue: {Failure}", Describe(e));
        }
    }

    private static bool IsTwilioFailure(Exception e, CancellationToken cancellationToken) =>
        e is TwilioCallException or HttpRequestException or global::Twilio.Exceptions.ApiConnectionException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    // Twilio's own messages can quote a phone number: only the code, or the kind of network failure, is logged.
    private static string Describe(Exception e) => e switch
    {
        TwilioCallException twilio => twilio.Message,
        HttpRequestException http => $"no answer from Twilio ({http.HttpRequestError}, HTTP {(int?)http.StatusCode})",
        global::Twilio.Exceptions.ApiConnectionException => "no connection to Twilio",
        _ => "no answer from Twilio in time",
    };
}

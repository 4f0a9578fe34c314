using Hotline.Calls;
using Hotline.Conversations;
using Hotline.Functions.Auth;
using Hotline.Functions.Conversations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Voice;

/// <summary>
/// A caller's voicemails, for the counsellor who holds the conversation (and supervisors): played through the app,
/// never from a Twilio address, and deleted at Twilio once handled.
/// </summary>
[Authorize(Policy = Policies.Counsellor)]
public sealed class VoicemailFunctions(IConversationStore store, IVoicemailRecordings recordings, CallDesk desk)
{
    [Function("VoicemailAudio")]
    public async Task<IResult> Play(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/conversations/{id}/calls/{callSid}/voicemail")] HttpRequest request,
        string id, string callSid, CancellationToken ct)
    {
        var (conversation, problem) = await ConversationEndpoints.AccessibleAsync(id, request.HttpContext.User, store, ct);
        if (problem is not null)
        {
            return problem;
        }

        if (conversation!.Calls.FirstOrDefault(c => c.CallSid == callSid)?.RecordingSid is not { } recordingSid
            || await recordings.OpenAsync(recordingSid, ct) is not { } audio)
        {
            return TypedResults.Problem("No voicemail for this call (it may have been handled and deleted).", statusCode: 404);
        }

        request.HttpContext.Response.RegisterForDisposeAsync(audio);
        return TypedResults.Stream(audio.Content, audio.ContentType);
    }

    /// <summary>The counsellor has listened and acted: every voicemail of the conversation is deleted at Twilio.</summary>
    [Function("VoicemailsHandled")]
    public async Task<IResult> Handled(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/conversations/{id}/voicemails/handled")] HttpRequest request,
        string id, CancellationToken ct)
    {
        var user = request.HttpContext.User;
        var (_, problem) = await ConversationEndpoints.AccessibleAsync(id, user, store, ct, assignedOnly: !user.IsInRole(Roles.Supervisor));
        if (problem is not null)
        {
            return problem;
        }

        return TypedResults.Ok(new VoicemailsHandled(await desk.VoicemailsHandledAsync(id, ct)));
    }
}

public sealed record VoicemailsHandled(int Deleted);

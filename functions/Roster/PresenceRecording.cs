using Hotline.Functions.Auth;
using Hotline.Functions.Hosting;
using Hotline.Roster;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace Hotline.Functions.Roster;

/// <summary>
/// Marks the functions an open console calls (its 2-second poll of the conversation list among them): each call by a
/// signed-in counsellor records them as present, so offers go only to someone who can see them. No call from the
/// console is needed for this, and the SMS webhook never passes here.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RecordsPresenceAttribute : Attribute;

/// <summary>Records presence for <see cref="RecordsPresenceAttribute"/> functions, after authorization.</summary>
public sealed class PresenceRecording(PresenceRecorder presence, ILogger<PresenceRecorder> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is { } http && http.User.UserId() is { } id && FunctionMethods.Find<RecordsPresenceAttribute>(context) is not null)
        {
            try
            {
                await presence.SeenAsync(id, PresenceSource.Console, http.RequestAborted);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The console's request is answered anyway; the next poll records presence again.
                logger.LogWarning(e, "Could not record that a counsellor was seen.");
            }
        }

        await next(context);
    }
}

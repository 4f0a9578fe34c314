using Hotline.Functions.Auth;
using Hotline.Roster;

namespace Hotline.Functions.Roster;

/// <summary>
/// Marks the endpoints an open console calls (its 2-second poll of the conversation list among them): each call by a
/// signed-in counsellor records them as present, so offers go only to someone who can see them. No call from the
/// console is needed for this, and the SMS webhook never passes here.
/// </summary>
public static class PresenceEndpointFilter
{
    public static TBuilder RecordsPresence<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            if (context.HttpContext.User.UserId() is { } id)
            {
                var services = context.HttpContext.RequestServices;
                try
                {
                    await services.GetRequiredService<PresenceRecorder>().SeenAsync(id, PresenceSource.Console, context.HttpContext.RequestAborted);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The console's request is answered anyway; the next poll records presence again.
                    services.GetRequiredService<ILogger<PresenceRecorder>>().LogWarning(e, "Could not record that a counsellor was seen.");
                }
            }

            return await next(context);
        });
}

namespace Hotline.Callbacks;

/// <summary>
/// Callback requests, without their secrets (<see cref="ICallbackSecrets"/>). Every open request is indexed by
/// <see cref="CallbackTiming.NextCheckAt"/>, so the scheduler reads only the requests that need it now.
/// </summary>
public interface ICallbackStore
{
    /// <summary>Stores a new request; false when one with that id exists.</summary>
    Task<bool> CreateAsync(CallbackRequest request, CancellationToken cancellationToken = default);

    /// <summary>The request, open or closed (with its <see cref="CallbackRequest.Version"/>); null when there is none.</summary>
    Task<CallbackRequest?> FindAsync(string requestId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Saves the request if it is unchanged since it was read (<see cref="CallbackRequest.Version"/>); false when
    /// someone else changed it first, or it is gone or closed. Closing it records its secrets as to be destroyed
    /// (<see cref="ListSecretsToDestroyAsync"/>) in the same step.
    /// </summary>
    Task<bool> TryUpdateAsync(CallbackRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// The open requests whose <see cref="CallbackTiming.NextCheckAt"/> is at or before <paramref name="now"/>: waiting
    /// ones whose window has started (and whose spacing has passed), released ones whose window is over, and those
    /// past their expiry.
    /// </summary>
    Task<IReadOnlyList<CallbackRequest>> ListDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>The open requests (waiting or released), of one language or of all.</summary>
    Task<IReadOnlyList<CallbackRequest>> ListOpenAsync(string? language = null, CancellationToken cancellationToken = default);

    /// <summary>The requests released to this counsellor: the calls they are to make now.</summary>
    Task<IReadOnlyList<CallbackRequest>> ListReleasedToAsync(string counsellorId, CancellationToken cancellationToken = default);

    /// <summary>The requests closed at or after <paramref name="since"/> (their outcomes, for the board).</summary>
    Task<IReadOnlyList<CallbackRequest>> ListClosedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes the rows of requests closed before <paramref name="before"/> whose secrets are destroyed; returns how
    /// many went. A request whose secrets are still to be destroyed keeps its row until they are.
    /// </summary>
    Task<int> ForgetClosedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken = default);

    /// <summary>Closed requests whose secrets are not yet known to be destroyed.</summary>
    Task<IReadOnlyList<string>> ListSecretsToDestroyAsync(CancellationToken cancellationToken = default);

    /// <summary>Records that the request's secrets are destroyed.</summary>
    Task SecretsDestroyedAsync(string requestId, CancellationToken cancellationToken = default);
}

/// <summary>When a callback request next needs the scheduler, worked out from the request alone.</summary>
public static class CallbackTiming
{
    /// <summary>
    /// The earliest time at which a waiting request may be released: the start of its first window that ends after
    /// <see cref="CallbackRequest.NextAttemptAfter"/>, or that time itself when it falls inside the window; null when
    /// no window is left.
    /// </summary>
    public static DateTimeOffset? NextReleaseAt(CallbackRequest request)
    {
        var after = request.NextAttemptAfter;
        foreach (var window in request.Windows.OrderBy(w => w.Start))
        {
            if (after is { } a && window.End <= a)
            {
                continue;
            }

            return after is { } later && later > window.Start ? later : window.Start;
        }

        return null;
    }

    /// <summary>The window a released request was released in; null when none contains the release.</summary>
    public static SafeWindow? ReleaseWindow(CallbackRequest request) =>
        request.ReleasedAt is { } at ? request.Windows.FirstOrDefault(w => w.Contains(at)) : null;

    /// <summary>
    /// When the scheduler must next look at the request: for a waiting one, when it may be released (or its expiry,
    /// if sooner or when no window is left); for a released one, the end of its window (or its expiry, if sooner);
    /// null for a closed one.
    /// </summary>
    public static DateTimeOffset? NextCheckAt(CallbackRequest request)
    {
        DateTimeOffset? next = request.Status switch
        {
            CallbackStatus.Waiting => NextReleaseAt(request),
            CallbackStatus.Released => ReleaseWindow(request)?.End ?? request.ReleasedAt,
            _ => null,
        };
        return request.Status == CallbackStatus.Closed ? null
            : next is { } n && n < request.ExpiresAt ? n
            : request.ExpiresAt;
    }
}

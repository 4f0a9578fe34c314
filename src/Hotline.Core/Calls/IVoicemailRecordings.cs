namespace Hotline.Calls;

/// <summary>A voicemail's audio, streamed from where the telephone provider keeps it.</summary>
public sealed record VoicemailAudio(Stream Content, string ContentType) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}

/// <summary>Voicemails where the telephone provider keeps them: fetched for a counsellor, deleted once handled.</summary>
public interface IVoicemailRecordings
{
    /// <summary>The recording's audio; null when the provider no longer has it.</summary>
    Task<VoicemailAudio?> OpenAsync(string recordingSid, CancellationToken cancellationToken = default);

    /// <summary>Deletes the recording at the provider; one already gone counts as deleted.</summary>
    Task DeleteAsync(string recordingSid, CancellationToken cancellationToken = default);
}

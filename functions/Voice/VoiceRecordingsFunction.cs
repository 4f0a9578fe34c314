using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Voice;

/// <summary>
/// Serves the recorded prompts Twilio plays (<c>&lt;Play&gt;</c> fetches them without credentials). Only recordings
/// the catalogue plays are served, looked up by language and prompt name: no path is ever built from the request.
/// </summary>
[AllowAnonymous]
public sealed class VoiceRecordingsFunction(VoiceCatalogue catalogue)
{
    [Function("VoiceRecording")]
    public IResult Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = VoiceCatalogue.RecordingsRoute + "/{language}/{prompt}")] HttpRequest request,
        string language, string prompt)
    {
        if (catalogue.Recording(language, prompt) is not { } recording)
        {
            return TypedResults.NotFound();
        }

        // Last-Modified lets Twilio cache a recording and fetch it again once the NGO replaces the file.
        return TypedResults.PhysicalFile(recording.Path, recording.ContentType, lastModified: File.GetLastWriteTimeUtc(recording.Path));
    }
}

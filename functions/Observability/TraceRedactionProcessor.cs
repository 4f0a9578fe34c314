using System.Diagnostics;
using Hotline.Privacy;
using OpenTelemetry;

namespace Hotline.Functions.Observability;

/// <summary>
/// Scrubs every finished span before any exporter sees it: tag values under sensitive names are masked, every
/// other string tag, the display name and the status description have phone-number shapes masked. Registered before
/// the exporters, so they only ever get redacted spans. Span events cannot be rewritten in place, so the
/// instrumentation is configured not to record exceptions as events (see <see cref="Telemetry"/>).
/// </summary>
public sealed class TraceRedactionProcessor : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data)
    {
        data.DisplayName = SensitiveDataScrubber.Scrub(data.DisplayName);
        foreach (var tag in data.TagObjects.ToList())
        {
            var redacted = LogRedaction.RedactValue(LastSegment(tag.Key), tag.Value);
            if (!Equals(redacted, tag.Value))
            {
                data.SetTag(tag.Key, redacted);
            }
        }

        if (data.StatusDescription is { } description)
        {
            data.SetStatus(data.Status, SensitiveDataScrubber.Scrub(description));
        }
    }

    // "messaging.message.body" -> "body": tag names are dotted; the sensitive-name list matches the last part.
    private static string LastSegment(string key) => key[(key.LastIndexOf('.') + 1)..];
}

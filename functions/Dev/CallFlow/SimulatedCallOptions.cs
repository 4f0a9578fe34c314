namespace Hotline.Functions.Dev.CallFlow;

/// <summary>Who calls whom, and where Twilio sends its requests.</summary>
public sealed record SimulatedCallOptions
{
    /// <summary>The app's public base URL, as configured at Twilio: every request is signed over it.</summary>
    public required Uri PublicBase { get; init; }

    /// <summary>The account's auth token, the key of <c>X-Twilio-Signature</c>.</summary>
    public required string AuthToken { get; init; }

    public string AccountSid { get; init; } = TwilioSimulator.DevAccountSid;

    /// <summary>The caller's number.</summary>
    public string From { get; init; } = "+447700900123";

    /// <summary>The hotline's number the caller dialled.</summary>
    public string To { get; init; } = "+442071234567";

    /// <summary>The number's voice webhook (its "A call comes in" URL).</summary>
    public string VoicePath { get; init; } = "/api/twilio/voice";

    /// <summary>The number's call status callback, posted when the call ends; null for none.</summary>
    public string? StatusCallbackPath { get; init; } = "/api/twilio/voice/status";

    /// <summary>Also fetch each &lt;Play&gt; URL served by the app and fail unless it answers 200 with audio.</summary>
    public bool FetchPlayedAudio { get; init; }

    /// <summary>
    /// The simulated account the call comes in to: its clock, queues and REST-created calls are shared with the other
    /// calls of that account. Null: the call has an account of its own.
    /// </summary>
    public SimulatedTwilio? Account { get; init; }
}

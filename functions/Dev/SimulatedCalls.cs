using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Hotline.Functions.Dev.CallFlow;
using Hotline.Functions.Sms;
using Hotline.Secrets;

namespace Hotline.Functions.Dev;

/// <summary>
/// The voice calls placed from the local simulator's call page (Development only): each one a <see cref="SimulatedCall"/>
/// playing Twilio's part against the app's own voice webhooks over HTTP, kept in memory under an id and dropped
/// <see cref="KeptAfterEnd"/> after it ended.
/// </summary>
public sealed partial class SimulatedCalls(IHttpClientFactory clients, ISecretStore secrets, SmsSettings settings, TimeProvider time)
{
    public static readonly TimeSpan KeptAfterEnd = TimeSpan.FromMinutes(10);

    /// <summary>A step waits for the app this long at most; the browser leaving does not cut a step in half.</summary>
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, Entry> _calls = new(StringComparer.Ordinal);

    /// <summary>
    /// Dials the hotline as <paramref name="from"/>: Twilio's requests go to <paramref name="self"/> (the app as this
    /// request reached it), signed over the public base (<c>Hotline__PublicBaseUrl</c>, else <paramref name="self"/>)
    /// with the Twilio auth token, exactly as the SMS simulator signs.
    /// </summary>
    public async Task<SimulatedCallView> StartAsync(string from, string to, Uri self)
    {
        Prune();
        var http = clients.CreateClient("twilio-simulator");
        http.BaseAddress = self;
        http.Timeout = StepTimeout;
        var options = new SimulatedCallOptions
        {
            PublicBase = settings.PublicBaseUrl ?? self,
            AuthToken = await secrets.GetAsync(TwilioSecrets.AuthToken.Name, CancellationToken.None),
            From = from,
            To = to,
        };
        var id = "c" + Guid.NewGuid().ToString("N")[..12];
        var entry = new Entry(id, http, from, to, time.GetUtcNow());
        try
        {
            using var timeout = new CancellationTokenSource(StepTimeout);
            entry.Call = await SimulatedCall.StartAsync(http, options, timeout.Token);
        }
        catch (Exception e) when (IsCallFailure(e))
        {
            http.Dispose();
            throw new CallStepException(e.Message, e);
        }

        _calls[id] = entry;
        return View(entry);
    }

    public IReadOnlyList<SimulatedCallView> All()
    {
        Prune();
        return [.. _calls.Values.OrderBy(e => e.StartedAt).Select(View)];
    }

    public SimulatedCallView? Find(string id)
    {
        Prune();
        return _calls.TryGetValue(id, out var entry) ? View(entry) : null;
    }

    /// <summary>Runs one step of call <paramref name="id"/>; null when there is no such call.</summary>
    /// <exception cref="CallStepException">The step does not fit where the call is, or the app answered as Twilio would not accept.</exception>
    public async Task<SimulatedCallView?> StepAsync(string id, Func<SimulatedCall, CancellationToken, Task> step)
    {
        if (!_calls.TryGetValue(id, out var entry))
        {
            return null;
        }

        try
        {
            using var timeout = new CancellationTokenSource(StepTimeout);
            await step(entry.Call, timeout.Token);
            entry.LastProblem = null;
        }
        catch (Exception e) when (IsCallFailure(e))
        {
            entry.LastProblem = e.Message;
            throw new CallStepException(e.Message, e);
        }

        return View(entry);
    }

    /// <summary>Keys as a keypad has them: 0–9, * and #.</summary>
    public static bool AreKeys(string? keys) => keys is { Length: > 0 and <= 20 } && Keypad().IsMatch(keys);

    private static bool IsCallFailure(Exception e) =>
        e is CallFlowException or InvalidOperationException or TwimlProblemsException or HttpRequestException or OperationCanceledException
            or System.Xml.XmlException;

    private SimulatedCallView View(Entry entry)
    {
        var call = entry.Call;
        var state = call.State;
        if (state == CallState.Ended)
        {
            entry.EndedAt ??= time.GetUtcNow();
        }

        return new SimulatedCallView(
            entry.Id,
            entry.From,
            entry.To,
            state.ToString(),
            call.ElapsedSeconds,
            call.CallerHeard,
            [.. call.Legs.Select(l => new SimulatedLegView(l.Index, l.Number, l.CallerId, l.State.ToString(), l.Outcome, l.Heard))],
            [.. call.Requests.Select(r => new SimulatedRequestView(
                r.Side, r.Method, r.Method == "GET" ? r.Url.AbsolutePath : r.Url.PathAndQuery,
                r.Parameters.Where(p => ShownParameters.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value)))],
            entry.LastProblem);
    }

    private static readonly HashSet<string> ShownParameters =
        ["From", "To", "CallStatus", "Digits", "DialCallStatus", "DialCallDuration", "RecordingDuration", "CallDuration", "CallbackSource"];

    private void Prune()
    {
        var now = time.GetUtcNow();
        foreach (var (id, entry) in _calls)
        {
            if (entry.Call.State == CallState.Ended)
            {
                entry.EndedAt ??= now;
            }

            if (entry.EndedAt is { } ended && now - ended > KeptAfterEnd && _calls.TryRemove(id, out var removed))
            {
                removed.Http.Dispose();
            }
        }
    }

    [GeneratedRegex("^[0-9*#]+$")]
    private static partial Regex Keypad();

    private sealed class Entry(string id, HttpClient http, string from, string to, DateTimeOffset startedAt)
    {
        public string Id { get; } = id;

        public HttpClient Http { get; } = http;

        public string From { get; } = from;

        public string To { get; } = to;

        public DateTimeOffset StartedAt { get; } = startedAt;

        public SimulatedCall Call { get; set; } = null!;

        public DateTimeOffset? EndedAt { get; set; }

        /// <summary>Why the last step failed, shown with the call until a step succeeds.</summary>
        public string? LastProblem { get; set; }
    }
}

/// <summary>A step of a simulated call could not be taken; the message says why.</summary>
public sealed class CallStepException(string message, Exception inner) : Exception(message, inner);

/// <param name="Problem">Why the last step failed (the app's answer Twilio would refuse, or a step that did not fit).</param>
public sealed record SimulatedCallView(
    string Id, string From, string To, string State, long ElapsedSeconds, IReadOnlyList<string> CallerHeard,
    IReadOnlyList<SimulatedLegView> Legs, IReadOnlyList<SimulatedRequestView> Requests, string? Problem);

/// <param name="CallerId">The number this phone shows as calling.</param>
public sealed record SimulatedLegView(int Index, string Number, string CallerId, string State, string? Outcome, IReadOnlyList<string> Heard);

public sealed record SimulatedRequestView(string Side, string Method, string Path, IReadOnlyDictionary<string, string> Parameters);

using Hotline.Escalations;
using Hotline.Functions.Configuration;
using Hotline.Functions.Hosting;
using Hotline.Messaging;
using Hotline.Privacy;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Escalations;

/// <summary>Where supervisor alerts go: the duty phones, from one of the hotline's numbers.</summary>
/// <param name="SupervisorNumbers">The supervisor on duty's phone(s); empty: alerts show on the board only.</param>
public sealed record AlertSettings(IReadOnlyList<string> SupervisorNumbers, string? FromNumber)
{
    internal static AlertSettings Read(IConfiguration configuration)
    {
        var reader = new SettingReader(configuration);
        var numbers = (reader.String("Alerts:SupervisorNumbers") ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => PhoneNumberNormalizer.Normalize(n) is { Length: > 7 } e164 && e164.StartsWith('+') ? e164
                : throw new StartupSettingException($"Setting 'Alerts__SupervisorNumbers' is malformed: '{n}' is not a phone number in international form."))
            .ToList();
        var from = reader.String("Alerts:FromNumber");
        if (numbers.Count > 0 && from is null)
        {
            throw new StartupSettingException("Missing required setting 'Alerts__FromNumber': the hotline number supervisor alerts are sent from.");
        }

        return new AlertSettings(numbers, from);
    }
}

/// <summary>Supervisor alerts go on the <c>supervisor-alerts</c> queue, so raising one never waits for SMS.</summary>
public sealed class QueuedSupervisorAlerts(IWorkQueue queue) : ISupervisorAlerts
{
    public Task AlertAsync(SupervisorAlert alert, CancellationToken cancellationToken = default) =>
        queue.EnqueueAsync(QueueNames.SupervisorAlerts, alert, cancellationToken);
}

/// <summary>
/// Queue <c>supervisor-alerts</c>: texts the supervisor on duty. The text names the conversation and the reason,
/// never the caller or what they wrote.
/// </summary>
public sealed class SendSupervisorAlertFunction(AlertSettings settings, ISmsSender sms, ILogger<SendSupervisorAlertFunction> logger)
{
    [Function("SendSupervisorAlert")]
    public async Task Run([QueueTrigger(QueueNames.SupervisorAlerts)] string message, CancellationToken cancellationToken)
    {
        var alert = QueueMessage.Read<SupervisorAlert>(message, "SendSupervisorAlert");
        if (!Hotline.Conversations.ConversationIds.IsValid(alert.ConversationId) && alert.ConversationId.Length > 0)
        {
            throw new InvalidQueueMessageException("SendSupervisorAlert: not a conversation id.");
        }

        if (settings.SupervisorNumbers.Count == 0)
        {
            logger.LogWarning("Emergency {EscalationId} raised, but no supervisor alert number is configured (Alerts__SupervisorNumbers).", alert.EscalationId);
            return;
        }

        var text = $"Hotline alert: {alert.Reason}; conversation {alert.ConversationId}, escalation {alert.EscalationId}. Open the supervisor board.";
        foreach (var number in settings.SupervisorNumbers)
        {
            await sms.SendAsync(number, settings.FromNumber!, text, cancellationToken);
        }
    }
}

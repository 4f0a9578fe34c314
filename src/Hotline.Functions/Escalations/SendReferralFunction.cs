using System.Text;
using System.Text.Json;
using Hotline.Escalations;
using Hotline.Functions.Hosting;
using Hotline.Messaging;
using Hotline.Secrets;

namespace Hotline.Functions.Escalations;

/// <summary>How referrals present the hotline to partners.</summary>
/// <param name="HotlineContact">How a partner reaches the hotline about a referral (a phone line or address for partners).</param>
public sealed record ReferralSettings(string HotlineContact);

/// <summary>
/// Queue <c>referrals-to-send</c>: delivers a referral to the agency's webhook, signed with the agency's secret
/// (Standard Webhooks; <c>webhook-id</c> is the referral id, so a repeated delivery is recognisable), through the
/// resilience pipeline (a circuit per agency), then texts the agency's duty phones the referral id. A failed delivery
/// is logged and retried by the queue. Only the fields the consent (or approved exception) covers are in the packet.
/// </summary>
public sealed class SendReferralFunction(
    IReferralStore referrals,
    IEscalationStore escalations,
    IPartnerDirectory partners,
    ISecretStore secrets,
    IHttpClientFactory clients,
    ISmsSender sms,
    AlertSettings alerts,
    ReferralSettings settings,
    IEscalationLog log,
    TimeProvider time,
    ILogger<SendReferralFunction> logger) : QueueFunction<ReferralRequest>
{
    public const string HttpClientName = "partners";

    public override string Name => "SendReferral";

    protected override async Task HandleAsync(ReferralRequest message, QueueMessageInfo info, CancellationToken cancellationToken)
    {
        if (await referrals.FindAsync(message.ReferralId, cancellationToken) is not { Status: ReferralStatuses.Queued } referral)
        {
            return; // gone, or delivered by an earlier attempt
        }

        var escalation = await escalations.FindAsync(referral.EscalationId, cancellationToken)
            ?? throw new InvalidOperationException($"Referral {referral.Id}: its escalation is missing.");
        var agency = await partners.FindAsync(referral.AgencyId, cancellationToken)
            ?? throw new InvalidOperationException($"Referral {referral.Id}: agency {referral.AgencyId} is not in the directory.");
        var secret = await secrets.GetAsync(PartnerAgency.SecretNameFor(agency.Id), cancellationToken);

        var body = JsonSerializer.Serialize(ReferralDesk.PacketFor(referral, escalation, settings.HotlineContact));
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, agency.WebhookUrl)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(StandardWebhooks.IdHeader, referral.Id);
        request.Headers.Add(StandardWebhooks.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(StandardWebhooks.SignatureHeader, StandardWebhooks.Sign(secret, referral.Id, timestamp, body));

        string? failure;
        try
        {
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            failure = response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or Polly.Timeout.TimeoutRejectedException
                                  or Polly.CircuitBreaker.BrokenCircuitException
                                  or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            failure = e.GetType().Name;
        }

        if (failure is not null)
        {
            await log.AppendAsync(referral.EscalationId, EscalationStep.DeliveryFailed, "system",
                new Dictionary<string, string> { ["referral"] = referral.Id, ["agency"] = agency.Id, ["error"] = failure, ["attempt"] = info.DequeueCount.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                cancellationToken);
            throw new InvalidOperationException($"Referral {referral.Id} could not be delivered to {agency.Id} ({failure}); the queue will try again.");
        }

        var now = time.GetUtcNow();
        for (var attempt = 0; attempt < 5 && referral is { Status: ReferralStatuses.Queued }; attempt++)
        {
            if (await referrals.TryUpdateAsync(referral with { Status = ReferralStatuses.Sent, SentAt = now, AcknowledgeBy = now + agency.AckDeadline }, cancellationToken))
            {
                break;
            }

            referral = await referrals.FindAsync(referral.Id, cancellationToken);
        }

        await log.AppendAsync(escalation.Id, EscalationStep.Sent, "system", new Dictionary<string, string>
        {
            ["referral"] = message.ReferralId,
            ["agency"] = agency.Id,
            ["fields"] = string.Join(',', escalation.SendableTo(agency.Id)),
        }, cancellationToken);

        if (alerts.FromNumber is null)
        {
            logger.LogWarning("Referral {ReferralId} delivered; no alert number to text the agency's duty phones from (Alerts__FromNumber).", message.ReferralId);
            return;
        }

        // The duty phone learns that there is a referral, never what it says.
        var text = $"Hotline referral {message.ReferralId} has been delivered to your system. Please acknowledge within {agency.AckDeadline.TotalMinutes:0} minutes.";
        foreach (var phone in agency.AlertPhones)
        {
            try
            {
                await sms.SendAsync(phone, alerts.FromNumber, text, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The referral itself arrived; one phone's failure must not keep the others from being told.
                logger.LogError(e, "Referral {ReferralId}: the duty phone alert to agency {AgencyId} could not be sent.", message.ReferralId, agency.Id);
            }
        }
    }
}

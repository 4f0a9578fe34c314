using System.Text;
using System.Text.Json;
using Hotline.Escalations;
using Hotline.Functions.Hosting;
using Hotline.Messaging;
using Hotline.Secrets;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Escalations;

/// <summary>How referrals present the hotline to partners.</summary>
/// <param name="HotlineContact">How a partner reaches the hotline about a referral (a phone line or address for partners).</param>
public sealed record ReferralSettings(string HotlineContact);

/// <summary>
/// Queue <c>referrals-to-send</c>: delivers a referral to the agency's webhook, signed with the agency's secret
/// (Standard Webhooks; <c>webhook-id</c> is the referral id, so a repeated delivery is recognisable), through the
/// resilience pipeline (a circuit per agency), and texts the agency's duty phones the referral id, once: that it
/// arrived, or, when the agency's system cannot be reached, that it is waiting and whom to call. A failed delivery
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
    ILogger<SendReferralFunction> logger)
{
    public const string HttpClientName = "partners";

    private static readonly HttpRequestOptionsKey<string> AgencyOption = new("hotline.agency");

    /// <summary>Marks a request as one to this agency, for its circuit.</summary>
    public static HttpRequestMessage ForAgency(HttpRequestMessage request, string agencyId)
    {
        request.Options.Set(AgencyOption, agencyId);
        return request;
    }

    /// <summary>The resilience pipeline (and so the circuit breaker) a partner request belongs to: its agency's.</summary>
    public static string CircuitKeyOf(HttpRequestMessage request) =>
        request.Options.TryGetValue(AgencyOption, out var agency) ? "agency:" + agency : "host:" + request.RequestUri?.Authority;

    [Function("SendReferral")]
    public async Task Run([QueueTrigger(QueueNames.ReferralsToSend)] string text, FunctionContext context, CancellationToken cancellationToken)
    {
        var message = QueueMessage.Read<ReferralRequest>(text, "SendReferral");
        if (await referrals.FindAsync(message.ReferralId, cancellationToken) is not { Status: ReferralStatuses.Queued } referral)
        {
            return; // gone, or delivered by an earlier attempt
        }

        var escalation = await escalations.FindAsync(referral.EscalationId, cancellationToken)
            ?? throw new InvalidOperationException($"Referral {referral.Id}: its escalation is missing.");
        var agency = await partners.FindAsync(referral.AgencyId, cancellationToken)
            ?? throw new InvalidOperationException($"Referral {referral.Id}: agency {referral.AgencyId} is not in the directory.");
        var secret = await secrets.GetAsync(PartnerAgency.SecretNameFor(agency.Id), cancellationToken);

        // The packet is fixed at the first attempt: a repeated delivery carries the same one, and the agency reads
        // exactly this on its page.
        var body = await referrals.FindPacketAsync(referral.Id, cancellationToken)
            ?? await referrals.RecordPacketAsync(referral.Id, JsonSerializer.Serialize(ReferralDesk.PacketFor(referral, escalation, settings.HotlineContact)), cancellationToken);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = ForAgency(new HttpRequestMessage(HttpMethod.Post, agency.WebhookUrl)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        }, agency.Id);
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
                new Dictionary<string, string> { ["referral"] = referral.Id, ["agency"] = agency.Id, ["error"] = failure, ["attempt"] = QueueMessage.DequeueCount(context).ToString(System.Globalization.CultureInfo.InvariantCulture) },
                cancellationToken);
            // An agency whose system is down hears of the referral by phone all the same, and whom to call.
            await AlertDutyPhonesOnceAsync(referral, agency,
                $"Hotline referral {referral.Id} for your agency could not be delivered to your system. Please call {settings.HotlineContact} now.",
                cancellationToken);
            throw new InvalidOperationException($"Referral {referral.Id} could not be delivered to {agency.Id} ({failure}); the queue will try again.");
        }

        var now = time.GetUtcNow();
        referral = await UpdateAsync(referral, r => r.Status == ReferralStatuses.Queued
            ? r with { Status = ReferralStatuses.Sent, SentAt = now, AcknowledgeBy = now + agency.AckDeadline }
            : null, cancellationToken);

        await log.AppendAsync(escalation.Id, EscalationStep.Sent, "system", new Dictionary<string, string>
        {
            ["referral"] = message.ReferralId,
            ["agency"] = agency.Id,
            ["fields"] = string.Join(',', escalation.SendableTo(agency.Id)),
        }, cancellationToken);

        await AlertDutyPhonesOnceAsync(referral, agency,
            $"Hotline referral {message.ReferralId} has been delivered to your system. Please acknowledge within {DurationWords.Of(agency.AckDeadline)}.",
            cancellationToken);
    }

    // The duty phone learns that there is a referral, never what it says; it is texted once per referral, on the
    // first outcome (a phone texted "could not be delivered" has already been asked to call).
    private async Task AlertDutyPhonesOnceAsync(Referral? referral, PartnerAgency agency, string text, CancellationToken cancellationToken)
    {
        if (referral is null || referral.DutyPhonesAlertedAt is not null || agency.AlertPhones.Count == 0)
        {
            return;
        }

        if (alerts.FromNumber is null)
        {
            logger.LogWarning("Referral {ReferralId}: no alert number to text the agency's duty phones from (Alerts__FromNumber).", referral.Id);
            return;
        }

        foreach (var phone in agency.AlertPhones)
        {
            try
            {
                await sms.SendAsync(phone, alerts.FromNumber, text, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One phone's failure must not keep the others from being told.
                logger.LogError(e, "Referral {ReferralId}: the duty phone alert to agency {AgencyId} could not be sent.", referral.Id, agency.Id);
            }
        }

        var at = time.GetUtcNow();
        await UpdateAsync(referral, r => r.DutyPhonesAlertedAt is null ? r with { DutyPhonesAlertedAt = at } : null, cancellationToken);
    }

    // Applies a change under optimistic concurrency, re-reading on a conflict; null from the change means nothing to do.
    private async Task<Referral?> UpdateAsync(Referral referral, Func<Referral, Referral?> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (change(referral) is not { } changed)
            {
                return referral;
            }

            if (await referrals.TryUpdateAsync(changed, cancellationToken))
            {
                return await referrals.FindAsync(referral.Id, cancellationToken) ?? changed;
            }

            referral = await referrals.FindAsync(referral.Id, cancellationToken) ?? referral;
        }

        return referral;
    }
}

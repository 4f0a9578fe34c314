using Hotline.Conversations;
using Hotline.Functions.Hosting;
using Hotline.Functions.Routing;
using Hotline.Secrets;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Sms;

/// <summary>Twilio's inbound SMS webhook: no token, the Twilio signature is the credential (checked in the handler).</summary>
public sealed class TwilioSmsFunction(
    ISecretStore secrets, SmsSettings settings, InboundMessageHandler handler, ImmediateRouter router, ILoggerFactory loggers, TimeProvider time)
{
    [Function("TwilioSms"), AllowAnonymous, RequestBodyLimit(TwilioSmsEndpoint.MaxRequestBytes)]
    public Task<IResult> Receive([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/twilio/sms")] HttpRequest request, CancellationToken ct) =>
        TwilioSmsEndpoint.HandleAsync(request, secrets, settings, handler, router, loggers, time, ct);
}

using Hotline.Conversations;
using Hotline.Functions.Hosting;
using Hotline.Functions.Routing;
using Hotline.Functions.Sms;
using Hotline.Messaging;
using Hotline.Privacy;
using Hotline.Routing;
using Hotline.Storage;
using Hotline.Twilio;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;

namespace Hotline.Functions.Configuration;

public static class ConversationServices
{
    /// <summary>How long a new conversation's queued routing request waits when this process routes it at once.</summary>
    public static readonly TimeSpan QueuedRoutingFallbackDelay = TimeSpan.FromSeconds(10);

    /// <summary>Conversations, routing and the SMS channel, with the secrets they use.</summary>
    public static IServiceCollection AddConversations(
        this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment, HotlineSettings settings)
    {
        var sms = SmsSettings.Read(configuration, environment, settings.Languages);
        var routing = ReadRoutingPolicy(configuration);
        var textsFolder = new SettingReader(configuration).String("Texts:Folder") ?? Path.Combine(AppContext.BaseDirectory, "Texts");

        services.AddSingleton(sms);
        services.AddSingleton(routing);
        services.AddSingleton(_ => CallerTexts.Load(textsFolder)); // read on first use, not at cold start
        // The voice prompts' settings, voice list and recordings are checked now; their texts are read on first use.
        services.AddSingleton(Hotline.Functions.Voice.VoiceCatalogue.Read(
            configuration, environment, settings.Languages, () => CallerTexts.Load(textsFolder), sms.EmergencyNumber));
        // Routing in-process at once unless turned off; the queued request then waits, as the fallback, until the
        // in-process attempt has long finished.
        var immediate = new SettingReader(configuration).Bool("Routing:Immediate", true);
        var answerOptOut = new SettingReader(configuration).Bool("Twilio:AnswerOptOutKeywords", false);
        services.AddSingleton(sp => new InboundSettings(
            sms.NumberLanguages, settings.Languages.Supported, sms.EmergencyNumber, immediate ? QueuedRoutingFallbackDelay : TimeSpan.Zero,
            answerOptOut));

        services.AddSecret(CallerPseudonymizer.KeySecret);
        services.AddSecret(ReplyAddressProtector.KeySecret);
        services.AddSecret(MessageTextProtector.KeySecret);
        services.AddSecret(TwilioSecrets.AuthToken);
        services.AddSecret(TwilioSecrets.AccountSid);
        services.AddSingleton<CallerPseudonymizer>();
        services.AddSingleton<ReplyAddressProtector>();
        services.AddSingleton<MessageTextProtector>();

        services.AddSingleton<IConversationStore, TableConversationStore>();
        services.AddSingleton<ICounsellorLoads, TableCounsellorLoads>();
        services.AddSingleton<IContactStatistics, TableContactStatistics>();
        services.AddSecret(TableEscalationLog.SealKeySecret);
        services.AddSingleton<Hotline.Escalations.IEscalationLog, TableEscalationLog>();
        services.AddSingleton(Hotline.Functions.Escalations.AlertSettings.Read(configuration));
        services.AddSingleton<Hotline.Escalations.ISupervisorAlerts, Hotline.Functions.Escalations.QueuedSupervisorAlerts>();
        services.AddSingleton<Hotline.Escalations.EmergencyRaiser>();
        services.AddSingleton<Hotline.Escalations.IEscalationStore, TableEscalationStore>();
        services.AddSingleton<Hotline.Escalations.IPartnerDirectory, TablePartnerDirectory>();
        services.AddSingleton<Hotline.Escalations.IReferralStore, TableReferralStore>();
        services.AddSingleton<Hotline.Escalations.ReferralDesk>();
        services.AddSingleton(new Hotline.Functions.Escalations.ReferralSettings(
            new SettingReader(configuration).String("Referrals:HotlineContact") ?? "the hotline"));
        services.AddSingleton<Hotline.Escalations.ReferralDeadlines>();
        // Partners may retry a referral safely (webhook-id is the referral id), so timeouts are retried too. A circuit
        // per agency (not per host: agencies may share one) keeps one agency's outage from slowing the others, and
        // opens at referral volumes: one delivery's failed attempts are enough.
        services.AddHttpClient(Hotline.Functions.Escalations.SendReferralFunction.HttpClientName)
            .AddStandardResilienceHandler(options =>
            {
                options.Retry.MaxRetryAttempts = 3;
                options.Retry.UseJitter = true;
                options.Retry.Delay = TimeSpan.FromMilliseconds(300);
                options.AttemptTimeout.Timeout = TimeSpan.FromSeconds(10);
                options.CircuitBreaker.MinimumThroughput = 4;
                options.CircuitBreaker.FailureRatio = 0.5;
                options.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(1);
                options.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(30);
            })
            .SelectPipelineBy(_ => Hotline.Functions.Escalations.SendReferralFunction.CircuitKeyOf);
        // Every language's danger words at once: callers mix languages.
        services.AddSingleton(sp =>
        {
            var texts = sp.GetRequiredService<CallerTexts>();
            return new Hotline.Escalations.DangerWordDetector(texts.Languages.SelectMany(texts.DangerWords));
        });
        services.TryAddSingleton<IWorkQueue, StorageWorkQueue>(); // a host (or a test) may put a queue of its own first
        services.AddSingleton<InboundMessageHandler>();
        services.AddSingleton<ConversationAssigner>();
        services.AddSingleton(sp => new Hotline.Roster.PresenceRecorder(
            sp.GetRequiredService<Hotline.Roster.IRosterStore>(), sp.GetRequiredService<TimeProvider>(), routing.PresenceWindow));
        services.AddSingleton<ConversationCloser>();
        services.AddSingleton(sp => new ImmediateRouter(
            new Lazy<ConversationAssigner>(sp.GetRequiredService<ConversationAssigner>), sp.GetRequiredService<IWorkQueue>(),
            sp.GetRequiredService<ILogger<ImmediateRouter>>(), immediate));
        services.AddHostedService(sp => sp.GetRequiredService<ImmediateRouter>());
        services.AddSingleton(new ConversationRetention(
            new SettingReader(configuration).Duration("Privacy:ReplyAddressGrace", ConversationRetention.Default.ReplyAddressGrace)));
        services.AddSingleton<OutboundMessageDispatcher>();

        var apiBase = new SettingReader(configuration).String("Twilio:ApiBaseUrl") is { } value
            ? Uri.TryCreate(value.TrimEnd('/') + "/", UriKind.Absolute, out var uri) ? uri
              : throw new StartupSettingException("Setting 'Twilio__ApiBaseUrl' is malformed: expected an absolute URL.")
            : null;
        services.AddSingleton(new TwilioApiSettings(TwilioSecrets.AccountSid.Name, TwilioSecrets.AuthToken.Name));
        var twilio = services.AddHttpClient<ISmsSender, TwilioSmsSender>();
        if (apiBase is not null)
        {
            twilio.AddHttpMessageHandler(() => new TwilioApiRedirectHandler(apiBase)); // the SDK only knows api.twilio.com
        }

        twilio.AddStandardResilienceHandler(options =>
            {
                // Only retry what Twilio certainly did not act on (throttled, unavailable, no connection made): retrying
                // a POST that timed out or whose connection broke after it was sent could send the message twice. The
                // same goes for 500 and the other 5xx: Twilio may have sent the message before failing. Those fail the
                // invocation instead (SmsProviderUnavailableException), and the queue's redelivery first asks Twilio
                // whether the message went out (OutboundMessageDispatcher).
                options.Retry.ShouldHandle = args => ValueTask.FromResult(NotActedOn(args.Outcome));
                options.Retry.MaxRetryAttempts = 3;
                options.Retry.UseJitter = true;
                options.Retry.Delay = TimeSpan.FromMilliseconds(500);
            });

        // Voicemails: fetching one and deleting one are both safe to repeat, so the standard retries apply.
        var recordings = services.AddHttpClient<Hotline.Calls.IVoicemailRecordings, TwilioRecordings>();
        if (apiBase is not null)
        {
            recordings.AddHttpMessageHandler(() => new TwilioApiRedirectHandler(apiBase));
        }

        recordings.AddStandardResilienceHandler();

        // Counsellors' phones rung for a waiting caller: placing a call is not safe to repeat blindly (the phone would
        // ring twice), so only what Twilio certainly did not act on is retried, as for SMS.
        var calls = services.AddHttpClient<TwilioPhoneCalls>();
        if (apiBase is not null)
        {
            calls.AddHttpMessageHandler(() => new TwilioApiRedirectHandler(apiBase));
        }

        calls.AddStandardResilienceHandler(options =>
        {
            options.Retry.ShouldHandle = args => ValueTask.FromResult(NotActedOn(args.Outcome));
            options.Retry.MaxRetryAttempts = 2;
            options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        });
        return services;
    }

    /// <summary>Twilio certainly did not act on the request: throttled, unavailable, or no connection was made.</summary>
    private static bool NotActedOn(Polly.Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is HttpRequestException
        {
            HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError,
        }
        || outcome.Result?.StatusCode is System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.ServiceUnavailable;

    private static RoutingPolicy ReadRoutingPolicy(IConfiguration configuration)
    {
        var reader = new SettingReader(configuration);
        var timeout = reader.Duration("Routing:OfferTimeout", RoutingPolicy.Default.OfferTimeout);
        var fallback = RoutingPolicy.Default.Fallback;
        if (reader.String("Routing:Fallback") is { } chain)
        {
            var steps = new List<FallbackStep>();
            foreach (var name in chain.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                steps.Add(Enum.TryParse<FallbackStep>(name, ignoreCase: true, out var step) && Enum.IsDefined(step)
                    ? step
                    : throw new StartupSettingException(
                        $"Setting 'Routing__Fallback' is malformed: '{name}' is not one of {string.Join(", ", Enum.GetNames<FallbackStep>())}."));
            }

            fallback = steps;
        }

        return new RoutingPolicy(fallback, timeout)
        {
            PresenceWindow = reader.Duration("Routing:PresenceWindow", RoutingPolicy.Default.PresenceWindow),
            HoldingMessageAfter = reader.Duration("Routing:HoldingMessageAfter", RoutingPolicy.Default.HoldingMessageAfter),
        };
    }
}

using Hotline.Callbacks;
using Hotline.Conversations;
using Hotline.Functions.Auth;
using Hotline.Functions.Configuration;
using Hotline.Messaging;
using Hotline.Roster;
using Hotline.Routing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace Hotline.Functions.Board;

/// <summary>The supervisor board: the line now, and its recent history.</summary>
[Authorize(Policy = Policies.Supervisor)]
public sealed class BoardFunctions(
    IConversationStore store, IRosterStore roster, ICounsellorLoads loads, LanguageSettings languages, CallerTexts texts,
    RoutingPolicy policy, IContactStatistics statistics, ICallbackStore callbacks, TimeProvider time)
{
    [Function("Board")]
    public async Task<IResult> Now([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/board")] HttpRequest request, CancellationToken ct) =>
        await BoardEndpoints.NowAsync(store, roster, loads, statistics, callbacks, languages, texts, policy, time, ct);

    [Function("BoardHistory")]
    public async Task<IResult> History([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/board/history")] HttpRequest request, CancellationToken ct) =>
        await BoardEndpoints.HistoryAsync(statistics, time, ct);
}

using Hotline.Roster;

namespace Hotline.Functions.Demo;

/// <summary>
/// A demo roster for trying the hotline locally: counsellors covering the shipped languages, some on call.
/// Seeded only when <c>Demo__SeedRoster</c> is true (<c>./hotline up</c> sets it). As anyone on the roster, a demo
/// counsellor is offered conversations only while present: sign in to the console as them (<c>oksana</c>, …).
/// </summary>
public static class DemoRoster
{
    public static IReadOnlyList<Counsellor> Counsellors { get; } =
    [
        new("ana", "Ana (RO, EN; SQ with the interpreter service)", ["ro", "en"], OnCall: true, Capacity: 3) { InterpreterLanguages = ["sq"] },
        new("oksana", "Oksana (UK, RU, PL)", ["uk", "ru", "pl"], OnCall: true, Capacity: 3),
        new("dimitar", "Dimitar (BG, SR, RU)", ["bg", "sr", "ru"], OnCall: true, Capacity: 2),
        new("elira", "Elira (SQ, EN)", ["sq", "en"], OnCall: false, Capacity: 2),
        new("lucia", "Lucía (ES, FR, EN; brings an interpreter)", ["es", "fr", "en"], OnCall: true, Capacity: 3) { BringsInterpreter = true },
        new("wei", "Wei (ZH, EN)", ["zh", "en"], OnCall: false, Capacity: 2),
        new("karim", "Karim (AR, FR)", ["ar", "fr"], OnCall: true, Capacity: 2),
        new("sam", "Sam (supervisor on duty, EN)", ["en"], OnCall: true, Capacity: 1) { SupervisorOnDuty = true },
    ];

    public static async Task SeedAsync(IRosterStore roster, CancellationToken cancellationToken)
    {
        foreach (var counsellor in Counsellors)
        {
            // Keep what a person changed while trying the demo; only add who is missing.
            if (await roster.FindAsync(counsellor.Id, cancellationToken) is null)
            {
                await roster.SaveAsync(counsellor, cancellationToken);
            }
        }
    }
}

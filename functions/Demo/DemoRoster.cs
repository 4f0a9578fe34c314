using Hotline.Privacy;
using Hotline.Roster;

namespace Hotline.Functions.Demo;

/// <summary>
/// A demo roster for trying the hotline locally: counsellors covering the shipped languages, some on call.
/// Seeded only when <c>Demo__SeedRoster</c> is true (<c>./hotline up</c> sets it). As anyone on the roster, a demo
/// counsellor is offered conversations only while present: sign in to the console as them (<c>oksana</c>, …).
/// Their phones are fictional (Ofcom's range for drama, +44 7700 900000–900999, rings nobody); Dimitar and Karim take
/// calls on the phone without the console, so a simulated voice call can ring them with no console open.
/// </summary>
public static class DemoRoster
{
    public static IReadOnlyList<Counsellor> Counsellors { get; } =
    [
        new("ana", "Ana (RO, EN; SQ with the interpreter service)", ["ro", "en"], OnCall: true, Capacity: 3) { InterpreterLanguages = ["sq"], Phone = Fictional(101) },
        new("oksana", "Oksana (UK, RU, PL)", ["uk", "ru", "pl"], OnCall: true, Capacity: 3) { Phone = Fictional(102) },
        new("dimitar", "Dimitar (BG, SR, RU)", ["bg", "sr", "ru"], OnCall: true, Capacity: 2) { Phone = Fictional(103), TakesCallsOnPhone = true },
        new("elira", "Elira (SQ, EN)", ["sq", "en"], OnCall: false, Capacity: 2) { Phone = Fictional(104) },
        new("lucia", "Lucía (ES, FR, EN; brings an interpreter)", ["es", "fr", "en"], OnCall: true, Capacity: 3) { BringsInterpreter = true, Phone = Fictional(105) },
        new("wei", "Wei (ZH, EN)", ["zh", "en"], OnCall: false, Capacity: 2) { Phone = Fictional(106) },
        new("karim", "Karim (AR, FR)", ["ar", "fr"], OnCall: true, Capacity: 2) { Phone = Fictional(107), TakesCallsOnPhone = true },
        new("sam", "Sam (supervisor on duty, EN)", ["en"], OnCall: true, Capacity: 1) { SupervisorOnDuty = true, Phone = Fictional(108) },
    ];

    private static StaffPhoneNumber Fictional(int n) => StaffPhoneNumber.Parse($"+44 7700 900{n:000}");

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

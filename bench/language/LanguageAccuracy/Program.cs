// Language detection accuracy on held-out short texts (20–160 characters; 8–60 for Chinese) that the detector was
// not trained on. Prints per-language accuracy, the confusions and the overall figure, as markdown.
//   LanguageAccuracy EVAL_DIR [--out FILE]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Hotline.Language;

if (args.Length < 1 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: LanguageAccuracy EVAL_DIR [--out FILE]");
    return 2;
}

var outFile = args.Length >= 3 && args[1] == "--out" ? args[2] : null;
var detector = LanguageDetector.Default;
var report = new StringBuilder();
int total = 0, correct = 0;
var confusions = new Dictionary<(string Expected, string Got), int>();
var rows = new List<string>();
var timer = Stopwatch.StartNew();

foreach (var language in LanguageDetector.Shipped)
{
    var path = Path.Combine(args[0], language + ".txt");
    var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToList();
    var right = 0;
    foreach (var line in lines)
    {
        var guess = detector.Detect(line).Language;
        if (guess == language)
        {
            right++;
        }
        else
        {
            confusions[(language, guess)] = confusions.GetValueOrDefault((language, guess)) + 1;
        }
    }

    total += lines.Count;
    correct += right;
    rows.Add(string.Create(CultureInfo.InvariantCulture, $"| {language} | {lines.Count} | {100.0 * right / lines.Count:F1}% |"));
}

timer.Stop();
var overall = 100.0 * correct / total;
report.AppendLine("| language | texts | accuracy |").AppendLine("| --- | ---: | ---: |");
rows.ForEach(r => report.AppendLine(r));
report.AppendLine(CultureInfo.InvariantCulture, $"| **all** | {total} | **{overall:F1}%** |").AppendLine();
report.AppendLine(CultureInfo.InvariantCulture, $"Goal ≥ 95%: {(overall >= 95 ? "met" : "NOT met")}. ");
report.AppendLine(CultureInfo.InvariantCulture, $"{total} texts in {timer.Elapsed.TotalMilliseconds:F0} ms (including training on first use).");
if (confusions.Count > 0)
{
    report.AppendLine().AppendLine("Confusions (expected → detected: count): " + string.Join(", ",
        confusions.OrderByDescending(c => c.Value).Select(c => $"{c.Key.Expected}→{c.Key.Got}: {c.Value}")));
}

Console.Write(report);
if (outFile is not null)
{
    File.WriteAllText(outFile, "# Language detection accuracy\n\nWritten by `bench/language.sh` on "
        + DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) + ".\n\n" + report);
}

return overall >= 95 ? 0 : 1;

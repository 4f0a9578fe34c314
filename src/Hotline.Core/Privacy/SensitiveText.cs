namespace Hotline.Privacy;

/// <summary>
/// A message body or any other free text a caller wrote. It never prints itself: <see cref="ToString"/> is masked,
/// so an accidental log of the object shows nothing. Read the content through <see cref="Reveal"/>, on purpose.
/// </summary>
public readonly record struct SensitiveText(string Value)
{
    public string Reveal() => Value;

    public override string ToString() => SensitiveDataScrubber.TextMask;
}

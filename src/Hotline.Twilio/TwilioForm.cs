using System.Text;
using System.Xml.Linq;
using Twilio.TwiML;

namespace Hotline.Twilio;

/// <summary>
/// Reads an <c>application/x-www-form-urlencoded</c> body exactly: parameters in order, values percent-decoded as
/// strict UTF-8. Invalid UTF-8 is an error rather than silently replaced characters, because the signature and the
/// message must be what the caller sent.
/// </summary>
public static class TwilioForm
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool TryParse(ReadOnlySpan<byte> body, out List<KeyValuePair<string, string>> parameters, out string? error)
    {
        parameters = [];
        error = null;
        try
        {
            // Check the bytes themselves: Encoding.ASCII would already have turned a byte above 127 into '?'.
            if (!Ascii.IsValid(body))
            {
                error = "the form body must be URL-encoded ASCII";
                return false;
            }

            var text = Encoding.ASCII.GetString(body);

            foreach (var pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var name = Decode(eq < 0 ? pair : pair[..eq]);
                var value = eq < 0 ? string.Empty : Decode(pair[(eq + 1)..]);
                parameters.Add(new(name, value));
            }

            return true;
        }
        catch (DecoderFallbackException)
        {
            error = "a form value is not valid UTF-8";
        }
        catch (FormatException e)
        {
            error = e.Message;
        }

        return false;
    }

    private static string Decode(string encoded)
    {
        var bytes = new List<byte>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            var c = encoded[i];
            if (c == '+')
            {
                bytes.Add((byte)' ');
            }
            else if (c == '%')
            {
                // Exactly two hex digits: NumberStyles.HexNumber would also accept surrounding white space ("% 9").
                if (i + 2 >= encoded.Length || !byte.TryParse(encoded.AsSpan(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var b))
                {
                    throw new FormatException("a form value has a broken percent-escape");
                }

                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.Add((byte)c);
            }
        }

        return StrictUtf8.GetString(bytes.ToArray());
    }
}

/// <summary>TwiML answers for the messaging webhook, written by the SDK.</summary>
public static class TwiML
{
    public const string ContentType = "application/xml";

    public static string Empty() => new MessagingResponse().ToString(SaveOptions.DisableFormatting);

    public static string Message(string text) => new MessagingResponse().Message(text).ToString(SaveOptions.DisableFormatting);
}

using Hotline.Tests.Infrastructure;
using Hotline.Twilio;

namespace Hotline.Tests.Twilio;

/// <summary>
/// The official test vectors from Twilio's documentation and helper-library test suites, checked through the adapter
/// (the SDK's validator), and the signer the tests sign webhooks with.
/// </summary>
public sealed class TwilioWebhookSignatureTests
{
    private const string AuthToken = "12345";

    private static readonly KeyValuePair<string, string>[] Parameters =
    [
        new("CallSid", "CA1234567890ABCDE"),
        new("Caller", "+14158675309"),
        new("Digits", "1234"),
        new("From", "+14158675309"),
        new("To", "+18005551212"),
    ];

    [Theory]
    [InlineData("https://mycompany.com/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")]
    [InlineData("https://mycompany.com:443/myapp.php?foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w=")]
    [InlineData("http://mycompany.com:80/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4=")]
    [InlineData("https://mycompany.com:1234/myapp.php?foo=1&bar=2", "CYn1h0gLBdNxDGkKJg6hYohgeD8=")]
    [InlineData("http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=")]
    [InlineData("https://MyCompany.com/myapp.php?foo=1&bar=2", "g9IN/x4Cft2g517EjYvEvM/W7LU=")]
    public void Accepts_the_official_vectors_which_the_test_signer_also_computes(string url, string expected)
    {
        Assert.True(TwilioWebhookSignature.IsValid(expected, url, Parameters, AuthToken));
        Assert.Equal(expected, TwilioWebhookClient.Sign(url, Parameters, AuthToken));
    }

    [Fact]
    public void Accepts_the_documentation_example()
    {
        KeyValuePair<string, string>[] parameters =
        [
            new("CallSid", "CA1234567890ABCDE"), new("Caller", "+12349013030"), new("Digits", "1234"),
            new("From", "+12349013030"), new("To", "+18005551212"),
        ];
        Assert.True(TwilioWebhookSignature.IsValid(
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "https://mycompany.com/myapp.php?foo=1&bar=2", parameters, AuthToken));
    }

    [Theory]
    [InlineData("https://mycompany.com/myapp.php?foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w=")] // signed with :443
    [InlineData("https://mycompany.com:443/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")] // signed without
    [InlineData("http://mycompany.com/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4=")] // signed with :80
    public void Accepts_the_port_variants_Twilio_may_have_signed(string url, string signature)
    {
        Assert.True(TwilioWebhookSignature.IsValid(signature, url, Parameters, AuthToken));
    }

    [Fact]
    public void Rejects_a_wrong_token_a_changed_parameter_a_different_path_or_scheme_and_a_missing_signature()
    {
        const string url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        const string signature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
        var changed = Parameters.Select(p => p.Key == "Digits" ? new KeyValuePair<string, string>("Digits", "9999") : p);

        Assert.False(TwilioWebhookSignature.IsValid(signature, url, Parameters, "54321"));
        Assert.False(TwilioWebhookSignature.IsValid(signature, url, changed, AuthToken));
        Assert.False(TwilioWebhookSignature.IsValid(signature, "https://mycompany.com/other.php?foo=1&bar=2", Parameters, AuthToken));
        Assert.False(TwilioWebhookSignature.IsValid(signature, "http://mycompany.com/myapp.php?foo=1&bar=2", Parameters, AuthToken));
        Assert.False(TwilioWebhookSignature.IsValid(null, url, Parameters, AuthToken));
        Assert.False(TwilioWebhookSignature.IsValid("", url, Parameters, AuthToken));
    }

    [Fact]
    public void A_repeated_name_is_signed_once_per_value_in_the_order_sent()
    {
        // HMAC-SHA1("12345", url + "Bodyhi" + "MediaUrlhttps://a.example/1" + "MediaUrlhttps://a.example/2"), computed
        // independently; the SDK's own handling of repeated names would join the values with a comma instead.
        const string url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        KeyValuePair<string, string>[] form =
        [
            new("MediaUrl", "https://a.example/1"), new("Body", "hi"), new("MediaUrl", "https://a.example/2"),
        ];

        Assert.True(TwilioWebhookSignature.IsValid("G9M+6AcSHirmzf5Np3DuDY5KKek=", url, form, AuthToken));
        Assert.False(TwilioWebhookSignature.IsValid("G9M+6AcSHirmzf5Np3DuDY5KKek=", url, form.Reverse(), AuthToken)); // values swapped
        Assert.False(TwilioWebhookSignature.IsValid("G9M+6AcSHirmzf5Np3DuDY5KKek=", url, form[..2], AuthToken)); // one dropped
        Assert.Equal("G9M+6AcSHirmzf5Np3DuDY5KKek=", TwilioWebhookClient.Sign(url, form, AuthToken));
    }
}

namespace Hotline.Functions.Dev.CallFlow;

/// <summary>One request Twilio made to the app during a simulated call, in the order made.</summary>
/// <param name="Side">"caller", "leg N" (the Nth number of the caller's current &lt;Dial&gt;), "call N" (the Nth call the
/// app created through the REST API) or "call N leg M" (the Mth number of that call's &lt;Dial&gt;).</param>
/// <param name="Url">The public URL requested (for GET, with the parameters in its query string).</param>
/// <param name="Parameters">The parameters sent, in order.</param>
public sealed record WebhookRequest(string Side, string Method, Uri Url, IReadOnlyList<KeyValuePair<string, string>> Parameters)
{
    public string Path => Url.AbsolutePath;

    /// <summary>The value sent for <paramref name="name"/>, or null when it was not sent.</summary>
    public string? this[string name] => Parameters.Where(p => p.Key == name).Select(p => p.Value).LastOrDefault();

    public override string ToString() => $"{Side}: {Method} {Path} {string.Join("&", Parameters.Select(p => p.Key + "=" + p.Value))}";
}

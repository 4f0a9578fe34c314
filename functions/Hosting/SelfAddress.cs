using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hotline.Functions.Hosting;

/// <summary>The loopback http:// address this app listens on, for calling itself (local Functions host, simulator).</summary>
public static class SelfAddress
{
    public static Uri Of(IServer server)
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses
            ?? throw new InvalidOperationException("The server has no addresses yet.");
        var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException("Calling the app itself needs an http:// listener.");
        var uri = new UriBuilder(address.Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "localhost")
        {
            uri.Host = "127.0.0.1";
        }

        uri.Path = "/";
        return uri.Uri;
    }
}

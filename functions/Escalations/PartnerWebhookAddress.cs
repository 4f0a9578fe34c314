using System.Net;
using System.Net.Sockets;

namespace Hotline.Functions.Escalations;

/// <summary>
/// Where the hotline may deliver a referral: https to a public address. A webhook on this machine, on a private
/// network or at a link-local address (a cloud's metadata service at 169.254.169.254 among them) would let whoever
/// keeps the directory make the hotline post personal data, signed, inside its own network. Literal addresses are
/// checked; of host names, <c>localhost</c> is refused. For local trials in Development only, a webhook on this machine
/// (http or https) is allowed.
/// </summary>
public static class PartnerWebhookAddress
{
    public const string Rule = "an https URL to a public address (not this machine, a private network or a link-local address)";

    public static bool IsAllowed(Uri? url, bool development)
    {
        if (url is not { IsAbsoluteUri: true } || url.OriginalString.Length > Hotline.Escalations.PartnerAgency.MaxWebhookUrlLength
            || url.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(url.UserInfo))
        {
            return false;
        }

        var address = url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
            && IPAddress.TryParse(url.IdnHost.Trim('[', ']'), out var parsed) ? parsed : null;
        var host = url.IdnHost.TrimEnd('.').ToLowerInvariant();
        var thisMachine = host == "localhost" || host.EndsWith(".localhost", StringComparison.Ordinal)
            || (address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address));
        if (thisMachine)
        {
            return development; // a local trial
        }

        return url.Scheme == "https" && (address is null || IsPublic(address));
    }

    private static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var b = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return !(b[0] is 0 or 10 or 127 // "this network", private, loopback
                     || (b[0] == 169 && b[1] == 254) // link-local, cloud metadata
                     || (b[0] == 172 && b[1] is >= 16 and <= 31)
                     || (b[0] == 192 && b[1] == 168)
                     || (b[0] == 100 && b[1] is >= 64 and <= 127) // carrier-grade NAT
                     || b[0] >= 224); // multicast, reserved, broadcast
        }

        return !(IPAddress.IsLoopback(address) || address.Equals(IPAddress.IPv6Any)
                 || (b[0] & 0xfe) == 0xfc // fc00::/7, unique local
                 || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) // fe80::/10, link-local
                 || b[0] == 0xff); // multicast
    }
}

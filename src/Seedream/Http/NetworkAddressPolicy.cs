using System.Net;
using System.Net.Sockets;

namespace Seedream.Http;

/// <summary>
/// Decides whether an address may be fetched. A gateway is a third party: a result URL it returns must not make us
/// reach cloud metadata, private networks or loopback (SSRF).
/// </summary>
internal static class NetworkAddressPolicy
{
    /// <summary>True for addresses that are not on the public internet (in any IPv4 or IPv6 spelling).</summary>
    public static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return IsInternalIPv4(address.GetAddressBytes());
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return true;
        }

        if (IPAddress.IPv6Loopback.Equals(address) || IPAddress.IPv6Any.Equals(address)
            || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal)
        {
            return true;
        }

        var bytes = address.GetAddressBytes();

        // IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address that is what gets reached.
        if (bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
        {
            return IsInternalIPv4(bytes.AsSpan(12, 4));
        }

        if (bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b && bytes.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
        {
            return IsInternalIPv4(bytes.AsSpan(12, 4));
        }

        if (bytes[0] == 0x20 && bytes[1] == 0x02)
        {
            return IsInternalIPv4(bytes.AsSpan(2, 4));
        }

        return false;
    }

    private static bool IsInternalIPv4(ReadOnlySpan<byte> b) =>
        b[0] == 0                                   // 0.0.0.0/8 "this network"
        || b[0] == 10                               // 10/8
        || b[0] == 127                              // loopback
        || (b[0] == 169 && b[1] == 254)             // link-local, incl. cloud metadata 169.254.169.254
        || (b[0] == 172 && (b[1] & 0xF0) == 16)     // 172.16/12
        || (b[0] == 192 && b[1] == 168)             // 192.168/16
        || (b[0] == 100 && (b[1] & 0xC0) == 64)     // CGNAT 100.64/10
        || (b[0] == 192 && b[1] == 0 && b[2] == 0)  // IETF protocol assignments
        || (b[0] == 198 && (b[1] & 0xFE) == 18)     // benchmarking 198.18/15
        || b[0] >= 224;                             // multicast, reserved, broadcast
}

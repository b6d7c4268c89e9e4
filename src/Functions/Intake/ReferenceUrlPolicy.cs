using System.Net;
using System.Net.Sockets;

namespace Seedream.Functions;

/// <summary>
/// Which reference URLs may be handed to Seedream (and probed by us): https on a public host. Loopback, private,
/// link-local, unique-local and reserved addresses are refused in every spelling (IPv4, IPv6, IPv4-mapped IPv6, and the
/// odd IPv4 forms such as <c>2130706433</c> or <c>0x7f.1</c>), as are host names that only a local network resolves.
/// <see cref="IntakeOptions.AllowLoopbackReferences"/> admits loopback (http too) for local runs.
/// </summary>
public static class ReferenceUrlPolicy
{
    /// <summary>Why <paramref name="url"/> is refused; null when it may be used.</summary>
    public static string? Check(Uri url, bool allowLoopback)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            return "image must be an https URL or a data:image/<format>;base64, URI.";
        }

        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            return "Reference URLs may not carry credentials (user:password@).";
        }

        var loopback = IsLoopbackHost(url, out var address);
        if (loopback && allowLoopback)
        {
            return null;
        }

        if (url.Scheme != Uri.UriSchemeHttps)
        {
            return "Reference URLs must use https.";
        }

        if (loopback)
        {
            return $"The reference host '{LogText.Cut(url.Host, 64)}' is loopback; Seedream cannot fetch it (local runs: Intake:AllowLoopbackReferences).";
        }

        if (address is not null && IsInternal(address))
        {
            return $"The reference host '{LogText.Cut(url.Host, 64)}' is a private, link-local or reserved address; Seedream can only fetch public hosts.";
        }

        var host = url.IdnHost.TrimEnd('.');
        if (address is null && (!host.Contains('.', StringComparison.Ordinal) || HasLocalSuffix(host)))
        {
            return $"The reference host '{LogText.Cut(url.Host, 64)}' is not a public internet name.";
        }

        return null;
    }

    /// <summary>True for loopback addresses; connect-time checks use it for names that resolve there.</summary>
    public static bool IsLoopback(IPAddress address) => IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    /// <summary>True for addresses that are not on the public internet (in any IPv4 or IPv6 spelling).</summary>
    public static bool IsInternal(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
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
        // IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the embedded IPv4 address.
        if (bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
        {
            return IsInternalIPv4(bytes.AsSpan(12, 4));
        }

        if (bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b && bytes.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
        {
            return IsInternalIPv4(bytes.AsSpan(12, 4));
        }

        return bytes[0] == 0x20 && bytes[1] == 0x02 && IsInternalIPv4(bytes.AsSpan(2, 4));
    }

    private static bool IsLoopbackHost(Uri url, out IPAddress? address)
    {
        var host = url.Host.Trim('[', ']').TrimEnd('.');
        // IPAddress.TryParse also reads the legacy IPv4 forms (2130706433, 0x7f.1, 0177.0.0.1, 127.1) that resolvers accept.
        address = IPAddress.TryParse(host, out var parsed) ? parsed : null;
        if (address is not null)
        {
            return IsLoopback(address);
        }

        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
    }

    private static bool HasLocalSuffix(string host) =>
        host.EndsWith(".local", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".internal", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith(".lan", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".home.arpa", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith(".intranet", StringComparison.OrdinalIgnoreCase);

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

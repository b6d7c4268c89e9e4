using System.Net;
using Seedream.Http;

namespace Seedream.Functions.Intake;

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

    /// <summary>True for addresses that are not on the public internet (in any IPv4 or IPv6 spelling): the client's own rule for result URLs.</summary>
    public static bool IsInternal(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return NetworkAddressPolicy.IsInternal(address);
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
}

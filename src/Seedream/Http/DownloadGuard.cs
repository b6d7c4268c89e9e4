using System.Net;

namespace Seedream.Http;

/// <summary>Checks a result URL against the download policy before anything is sent.</summary>
internal static class DownloadGuard
{
    public const int MaxRedirects = 5;

    public static void CheckUrl(Uri url, SeedreamDownloadPolicy policy)
    {
        if (!url.IsAbsoluteUri)
        {
            throw Blocked("the URL is not absolute");
        }

        if (url.Scheme != Uri.UriSchemeHttps && !(url.Scheme == Uri.UriSchemeHttp && policy.AllowHttp))
        {
            throw Blocked($"the scheme '{url.Scheme}' is not allowed (https only unless Seedream:Downloads:AllowHttp is set)");
        }

        // Literal addresses are refused here, without connecting; host names are checked after DNS, at connect time.
        if (!policy.AllowPrivateNetworks && IPAddress.TryParse(url.IdnHost, out var address) && NetworkAddressPolicy.IsInternal(address))
        {
            throw Blocked($"{address} is a loopback, private, link-local or otherwise internal address");
        }
    }

    public static SeedreamException Blocked(string reason) => new(
        $"Result download refused: {reason}. Internal addresses and plain http are allowed only for local emulator runs " +
        "(Seedream:Downloads:AllowPrivateNetworks, Seedream:Downloads:AllowHttp).",
        errorCode: SeedreamException.DownloadBlockedCode,
        isTransient: false);
}

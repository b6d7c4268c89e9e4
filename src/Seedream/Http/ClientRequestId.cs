using System.Globalization;
using System.Security.Cryptography;

namespace Seedream.Http;

/// <summary><c>X-Client-Request-Id</c> in the Go SDK's format: <c>yyyyMMddHHmmss</c> + 20 upper-case hex characters.</summary>
internal static class ClientRequestId
{
    public const string HeaderName = "X-Client-Request-Id";

    public static string Create(TimeProvider timeProvider)
    {
        Span<byte> random = stackalloc byte[10];
        RandomNumberGenerator.Fill(random);
        return timeProvider.GetUtcNow().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + Convert.ToHexString(random);
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SeedreamEmulator;

/// <summary>What a result URL needs to serve one generation again; never the image bytes.</summary>
internal sealed record StoredGeneration(IReadOnlyList<ImageKey?> Images, IReadOnlySet<int> NotAnImageIndexes, DateTimeOffset ExpiresAt);

/// <summary>Signed TOS-style result URLs and the small map id → generation parameters behind them.</summary>
internal sealed class ResultStore(EmulatorOptions options, TimeProvider time)
{
    private const int MaxGenerations = 20_000;
    private const string DateFormat = "yyyyMMdd'T'HHmmss'Z'";
    private readonly ConcurrentDictionary<string, StoredGeneration> _generations = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    public void Add(string id, StoredGeneration generation)
    {
        _generations[id] = generation;
        _order.Enqueue(id);
        var now = time.GetUtcNow();
        while (_order.TryPeek(out var oldest)
            && (_generations.Count > MaxGenerations || (_generations.TryGetValue(oldest, out var stored) && stored.ExpiresAt < now))
            && _order.TryDequeue(out oldest))
        {
            _generations.TryRemove(oldest, out _);
        }
    }

    public StoredGeneration? Find(string id) => _generations.TryGetValue(id, out var generation) ? generation : null;

    /// <summary>A URL under <paramref name="baseAddress"/>; already expired when <paramref name="expired"/>.</summary>
    public Uri CreateUrl(Uri baseAddress, string id, int index, ImageFormat format, bool expired)
    {
        var lifetime = (long)options.UrlLifetime.TotalSeconds;
        var signedAt = time.GetUtcNow();
        if (expired)
        {
            signedAt -= options.UrlLifetime + TimeSpan.FromHours(1);
        }

        var date = signedAt.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture);
        var file = $"{index}.{format.Extension()}";
        var credential = Uri.EscapeDataString($"EMULATOR/{date[..8]}/emulator/tos/request");
        var signature = Sign(id, file, date, lifetime);
        return new Uri(baseAddress,
            $"results/{id}/{file}?X-Tos-Algorithm=TOS4-HMAC-SHA256&X-Tos-Credential={credential}&X-Tos-Date={date}&X-Tos-Expires={lifetime}&X-Tos-Signature={signature}&X-Tos-SignedHeaders=host");
    }

    /// <summary>True when the signature matches and the URL has not expired.</summary>
    public bool Verify(string id, string file, string? date, string? expires, string? signature)
    {
        if (date is null || expires is null || signature is null
            || !long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var lifetime)
            || !DateTimeOffset.TryParseExact(date, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var signedAt))
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Sign(id, file, date, lifetime));
        var actual = Encoding.ASCII.GetBytes(signature);
        return CryptographicOperations.FixedTimeEquals(expected, actual) && signedAt.AddSeconds(lifetime) >= time.GetUtcNow();
    }

    private string Sign(string id, string file, string date, long lifetime)
    {
        var message = Encoding.UTF8.GetBytes($"{id}/{file}\n{date}\n{lifetime}");
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(options.SigningKey), message));
    }
}

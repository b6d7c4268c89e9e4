namespace SeedreamEmulator;

/// <summary>
/// Emulator settings (configuration section <c>Emulator</c>, environment <c>Emulator__*</c>).
/// The instance is shared by all requests and may be changed while the emulator runs.
/// </summary>
public sealed class EmulatorOptions
{
    public const string SectionName = "Emulator";
    public const string DefaultApiKey = "local-seedream-key";

    /// <summary>The only API key accepted in <c>Authorization: Bearer</c>.</summary>
    public string ApiKey { get; set; } = DefaultApiKey;

    /// <summary>Simulated generation time per image.</summary>
    public TimeSpan ImageDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Fill images with noise so that encoded sizes are realistic (slow to encode, cached).</summary>
    public bool NoiseContent { get; set; }

    /// <summary>
    /// How reference URLs that do not point at the emulator are read. <see cref="ExternalReferenceMode.Fetch"/> (the
    /// default) downloads and checks them as the real API does: a reference that cannot be downloaded or is not an image
    /// is a 400. <see cref="ExternalReferenceMode.Substitute"/> reads none of them and lets one of the emulator's own
    /// reference images stand in, so that requests written for the real service (the provider's examples with
    /// <c>https://example.com/…</c> references) run offline. Configuration: <c>Emulator:ExternalReferences=Substitute</c>.
    /// </summary>
    public ExternalReferenceMode ExternalReferences { get; set; } = ExternalReferenceMode.Fetch;

    /// <summary>Validity of signed result URLs (<c>X-Tos-Expires</c>).</summary>
    public TimeSpan UrlLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>HMAC key for result URLs; random per process unless configured.</summary>
    public string SigningKey { get; set; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>Upper bound of the encoded-image cache.</summary>
    public long ImageCacheBytes { get; set; } = 1L << 30;

    /// <summary>Largest accepted reference image (contract §3.2: 30 MB).</summary>
    public long MaxReferenceImageBytes { get; set; } = 30L * 1024 * 1024;

    /// <summary>The provider's per-model images-per-minute, requests-per-minute and burst limits (off by default).</summary>
    public RateLimitOptions RateLimits { get; } = new();
}

/// <summary>What the emulator does with a reference URL on another host.</summary>
public enum ExternalReferenceMode
{
    /// <summary>Download and check it, as the real API does (needs the network; fails offline, as the real API would fail on an unreachable URL).</summary>
    Fetch,

    /// <summary>Do not download it; check the emulator's own reference image of the same name instead (local runs).</summary>
    Substitute,
}

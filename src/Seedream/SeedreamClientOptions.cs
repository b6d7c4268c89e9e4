namespace Seedream;

/// <summary>Settings of <see cref="SeedreamClient"/> (configuration section <c>Seedream</c>).</summary>
public sealed class SeedreamClientOptions
{
    /// <summary>API bases, first preferred: <c>https://…/v1</c> (gateway) or <c>https://…/api/v3</c> (Ark). <c>/images/generations</c> is appended.</summary>
    public IList<Uri> BaseUrls { get; } = new List<Uri>();

    /// <summary>Sent as <c>Authorization: Bearer</c>. Never logged or shown.</summary>
    public string ApiKey { get; set; } = string.Empty;

    /// <summary>TCP + TLS connection establishment.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A whole generation, including 429 waits and reading the response body (a group can take minutes).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>One result download, including its body.</summary>
    public TimeSpan DownloadTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a 429 answer is retried (the only answer that is).</summary>
    public int MaxRateLimitRetries { get; set; } = 3;

    /// <summary>Wait before retrying a 429 that carries no <c>Retry-After</c>.</summary>
    public TimeSpan DefaultRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Records prompts in telemetry (the <c>gen_ai.input.messages</c> span attribute). Off by default: prompts may hold
    /// personal or confidential text.
    /// </summary>
    public bool EnableSensitiveTelemetryData { get; set; }

    /// <summary>Guards for result downloads and inline (b64_json) images.</summary>
    public SeedreamDownloadPolicy Downloads { get; } = new();

    /// <summary>Describes the options without the API key.</summary>
    public override string ToString() =>
        $"SeedreamClientOptions {{ BaseUrls = [{string.Join(", ", BaseUrls)}], ApiKey = {(string.IsNullOrEmpty(ApiKey) ? "(none)" : "***")}, " +
        $"ConnectTimeout = {ConnectTimeout}, RequestTimeout = {RequestTimeout}, DownloadTimeout = {DownloadTimeout}, " +
        $"MaxRateLimitRetries = {MaxRateLimitRetries}, DefaultRetryAfter = {DefaultRetryAfter}, Downloads = {Downloads} }}";

    internal SeedreamClientOptions Clone()
    {
        var clone = new SeedreamClientOptions
        {
            ApiKey = ApiKey,
            ConnectTimeout = ConnectTimeout,
            RequestTimeout = RequestTimeout,
            DownloadTimeout = DownloadTimeout,
            MaxRateLimitRetries = MaxRateLimitRetries,
            DefaultRetryAfter = DefaultRetryAfter,
            EnableSensitiveTelemetryData = EnableSensitiveTelemetryData,
        };
        foreach (var baseUrl in BaseUrls)
        {
            clone.BaseUrls.Add(baseUrl);
        }

        clone.Downloads.AllowPrivateNetworks = Downloads.AllowPrivateNetworks;
        clone.Downloads.AllowHttp = Downloads.AllowHttp;
        clone.Downloads.MaxImageBytes = Downloads.MaxImageBytes;
        return clone;
    }

    /// <summary>Every problem with the options, with the configuration key to fix; empty when usable.</summary>
    internal IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (BaseUrls.Count == 0)
        {
            problems.Add("Seedream:BaseUrls must list at least one API base URL, e.g. Seedream:BaseUrls:0=https://ark.cn-beijing.volces.com/api/v3.");
        }

        for (var i = 0; i < BaseUrls.Count; i++)
        {
            var url = BaseUrls[i];
            if (url is null || !url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
            {
                problems.Add($"Seedream:BaseUrls:{i} must be an absolute http(s) URL ending in /v1 or /api/v3, got '{url}'.");
            }
        }

        if (string.IsNullOrWhiteSpace(ApiKey))
        {
            problems.Add("Seedream:ApiKey is required (the key is sent as 'Authorization: Bearer <key>').");
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            problems.Add($"Seedream:ConnectTimeout must be positive, got {ConnectTimeout}.");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            problems.Add($"Seedream:RequestTimeout must be positive, got {RequestTimeout}.");
        }

        if (DownloadTimeout <= TimeSpan.Zero)
        {
            problems.Add($"Seedream:DownloadTimeout must be positive, got {DownloadTimeout}.");
        }

        if (MaxRateLimitRetries < 0)
        {
            problems.Add($"Seedream:MaxRateLimitRetries must be 0 or more, got {MaxRateLimitRetries}.");
        }

        if (DefaultRetryAfter < TimeSpan.Zero)
        {
            problems.Add($"Seedream:DefaultRetryAfter must not be negative, got {DefaultRetryAfter}.");
        }

        if (Downloads.MaxImageBytes <= 0)
        {
            problems.Add($"Seedream:Downloads:MaxImageBytes must be positive, got {Downloads.MaxImageBytes}.");
        }

        return problems;
    }
}

/// <summary>Guards applied to result images: where downloads may go and what they may contain.</summary>
public sealed class SeedreamDownloadPolicy
{
    /// <summary>Allows loopback, private, link-local and CGNAT addresses (local emulator runs only).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Allows plain http result URLs (local emulator runs only).</summary>
    public bool AllowHttp { get; set; }

    /// <summary>Largest accepted image, downloaded or decoded from b64_json.</summary>
    public long MaxImageBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>Describes the policy.</summary>
    public override string ToString() =>
        $"SeedreamDownloadPolicy {{ AllowPrivateNetworks = {AllowPrivateNetworks}, AllowHttp = {AllowHttp}, MaxImageBytes = {MaxImageBytes} }}";
}

namespace Seedream.Functions.Configuration;

/// <summary>
/// Per-model image prices; configuration section "Pricing" (e.g. <c>Pricing:Models:seedream-4-0-250828:PricePerImage</c>).
/// Configured entries override or extend the defaults, which are the contract's §7 list prices.
/// </summary>
public sealed class PricingOptions
{
    public const string SectionName = "Pricing";

    public Dictionary<string, ModelPrice> Models { get; } = new(StringComparer.OrdinalIgnoreCase)
    {
        // Volcengine model ids are billed in CNY.
        ["doubao-seedream-3-0-t2i-250415"] = new() { PricePerImage = 0.259m, Currency = "CNY" },
        ["doubao-seededit-3-0-i2i-250628"] = new() { PricePerImage = 0.30m, Currency = "CNY" },
        ["doubao-seedream-4-0-250828"] = new() { PricePerImage = 0.20m, Currency = "CNY" },
        ["doubao-seedream-4-5-251128"] = new() { PricePerImage = 0.25m, Currency = "CNY" },
        ["doubao-seedream-5-0-260128"] = new() { PricePerImage = 0.22m, Currency = "CNY" },
        ["doubao-seedream-5-0-lite-260128"] = new() { PricePerImage = 0.22m, Currency = "CNY" },
        ["doubao-seedream-5-0-pro-260628"] = new()
        {
            PricePerImage = 0.30m, Currency = "CNY", LargeImageMinPixels = 2_610_000, LargeImagePricePerImage = 0.60m,
            FreeInputImages = 1, PricePerExtraInputImage = 0.02m,
        },
        // BytePlus model ids are billed in USD.
        ["seedream-3-0-t2i-250415"] = new() { PricePerImage = 0.03m, Currency = "USD" },
        ["seedream-4-0-250828"] = new() { PricePerImage = 0.03m, Currency = "USD" },
        ["seedream-4-5-251128"] = new() { PricePerImage = 0.04m, Currency = "USD" },
        ["seedream-5-0-260128"] = new() { PricePerImage = 0.035m, Currency = "USD" },
        ["seedream-5-0-lite-260128"] = new() { PricePerImage = 0.035m, Currency = "USD" },
    };
}

public sealed class ModelPrice
{
    public decimal PricePerImage { get; set; }

    /// <summary>ISO 4217 code of the prices.</summary>
    public string Currency { get; set; } = "USD";

    /// <summary>Images with more pixels than this cost <see cref="LargeImagePricePerImage"/> instead.</summary>
    public long? LargeImageMinPixels { get; set; }

    public decimal? LargeImagePricePerImage { get; set; }

    /// <summary>Reference images that are free before <see cref="PricePerExtraInputImage"/> applies.</summary>
    public int FreeInputImages { get; set; }

    public decimal PricePerExtraInputImage { get; set; }
}

using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;
using Seedream.Functions.Jobs;

namespace Seedream.Functions.Batches;

/// <summary>What a line will cost at most before it runs: the images it asks for (max_images in a group) at the model's price.</summary>
public sealed class BatchCostEstimator
{
    private readonly PricingOptions _pricing;

    public BatchCostEstimator(IOptions<PricingOptions> pricing) => _pricing = pricing.Value;

    /// <summary>Null when the model has no price (endpoint ids, gateway aliases).</summary>
    public JobCost? Estimate(ImageGenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Model is null || !_pricing.Models.TryGetValue(request.Model, out var price))
        {
            return null;
        }

        var images = request.SequentialImageGeneration == SequentialImageGenerationMode.Auto ? request.SequentialImageGenerationOptions?.MaxImages ?? 15 - (request.Image?.Count ?? 0) : 1;
        var perImage = Math.Max(price.PricePerImage, price.LargeImagePricePerImage ?? 0);
        var amount = (images * perImage) + (Math.Max(0, (request.Image?.Count ?? 0) - price.FreeInputImages) * price.PricePerExtraInputImage);
        return new JobCost(decimal.Round(amount, 4), price.Currency, Estimated: true);
    }

    /// <summary>Adds two costs of the same currency; a cost in another currency is left out (batches are priced in one model's currency).</summary>
    public static JobCost? Add(JobCost? total, JobCost? cost, bool estimated) =>
        cost is null ? total
        : total is null ? cost with { Estimated = estimated }
        : total.Currency == cost.Currency ? total with { Amount = total.Amount + cost.Amount, Estimated = estimated }
        : total;
}

using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;

namespace Seedream.Functions.Jobs;

/// <summary>What a job spent: billed images (Seedream bills successes only) times the model's price.</summary>
public sealed class CostCalculator
{
    private readonly PricingOptions _pricing;

    public CostCalculator(IOptions<PricingOptions> pricing) => _pricing = pricing.Value;

    /// <summary>Null when the model has no price (endpoint ids, gateway aliases) or nothing is known to be billed.</summary>
    public JobCost? Calculate(GenerationJob job, string? requestedModel, int inputImages)
    {
        var price = Find(job.Answer?.Model) ?? Find(requestedModel);
        if (price is null)
        {
            return null;
        }

        // usage.generated_images is the billing quantity; without it (a lost response) the stored images are a lower bound.
        // A job Seedream never answered was not billed.
        var billedImages = job.Usage?.GeneratedImages ?? job.Images.Count;
        var pricedBySize = job.Images.Take(billedImages).Sum(image => PriceOf(price, image));
        var unsizedImages = Math.Max(0, billedImages - job.Images.Count);
        var amount = pricedBySize + unsizedImages * price.PricePerImage;
        if (billedImages > 0)
        {
            amount += Math.Max(0, inputImages - price.FreeInputImages) * price.PricePerExtraInputImage;
        }

        return new JobCost(decimal.Round(amount, 4), price.Currency, Estimated: job.Usage is null && job.Answer is not null);
    }

    private ModelPrice? Find(string? model) => model is not null && _pricing.Models.TryGetValue(model, out var price) ? price : null;

    private static decimal PriceOf(ModelPrice price, StoredImage image) =>
        price is { LargeImageMinPixels: long threshold, LargeImagePricePerImage: decimal largePrice }
        && image.Width is int width && image.Height is int height && (long)width * height > threshold
            ? largePrice
            : price.PricePerImage;
}

using System.Text.Json.Nodes;

namespace Seedream.Benchmarks;

/// <summary>The generation request both paths send: a b64_json series with sequential generation.</summary>
internal static class StoreRequests
{
    /// <summary>A small request on another model that runs every code path once before the measurement (JIT, connections).</summary>
    public const string WarmUpModel = "doubao-seedream-4-0-250828";

    public static string Json(string model, string size, int images, string? outputFormat, string responseFormat = "b64_json", bool stream = false)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["prompt"] = "A series of weathered stone textures under changing light",
            ["size"] = size,
            ["sequential_image_generation"] = "auto",
            ["sequential_image_generation_options"] = new JsonObject { ["max_images"] = images },
            ["response_format"] = responseFormat,
            ["watermark"] = false,
        };
        if (outputFormat is not null)
        {
            body["output_format"] = outputFormat;
        }

        if (stream)
        {
            body["stream"] = true;
        }

        return body.ToJsonString();
    }

    public static string WarmUpJson(string responseFormat = "b64_json") => Json(WarmUpModel, "1K", 2, outputFormat: null, responseFormat);
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Messaging;

namespace Seedream.Functions.Tests;

/// <summary>Small, fast requests (Seedream 4.0 at 1K, JPEG) for scenario tests.</summary>
internal static class TestRequests
{
    public const string Model = "doubao-seedream-4-0-250828";

    public static string Create(string prompt, string responseFormat = "url", int? maxImages = null, Action<JsonObject>? configure = null)
    {
        var request = new JsonObject
        {
            ["model"] = Model,
            ["prompt"] = prompt,
            ["size"] = "1K",
            ["response_format"] = responseFormat,
            ["watermark"] = false,
        };
        if (maxImages is int count)
        {
            request["sequential_image_generation"] = "auto";
            request["sequential_image_generation_options"] = new JsonObject { ["max_images"] = count };
        }

        configure?.Invoke(request);
        return request.ToJsonString();
    }

    public static JsonElement DataOf(CloudEvent cloudEvent) => JsonDocument.Parse(cloudEvent.Data!).RootElement;

    public static string[] Strings(this JsonElement array, string property) =>
        [.. array.EnumerateArray().Select(item => item.GetProperty(property).ToString())];
}

using System.Globalization;
using System.Text.Json;

namespace Seedream.Http;

/// <summary>
/// Reads <c>{"object":"list","data":[{"id","object":"model","created","owned_by"}]}</c>, the OpenAI-compatible model
/// list that gateways answer on <c>GET /v1/models</c>; Ark's <c>GET /api/v3/models</c> is read the same way (its shape is
/// not documented; see the README). A bare array of the same items is accepted too.
/// </summary>
internal static class ModelListParser
{
    public static IReadOnlyList<SeedreamModelInfo> Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(json);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            throw Invalid($"the body is not JSON ({ex.Message})", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            var data = root.ValueKind switch
            {
                JsonValueKind.Array => root,
                JsonValueKind.Object when root.TryGetProperty("data", out var list) && list.ValueKind == JsonValueKind.Array => list,
                _ => throw Invalid("expected an object with a \"data\" array"),
            };

            var models = new List<SeedreamModelInfo>(data.GetArrayLength());
            var index = 0;
            foreach (var item in data.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(id.GetString()))
                {
                    throw Invalid($"data[{index}] has no string \"id\"");
                }

                models.Add(new SeedreamModelInfo(
                    id.GetString()!,
                    item.TryGetProperty("created", out var created) ? ReadCreated(created) : null,
                    item.TryGetProperty("owned_by", out var owner) && owner.ValueKind == JsonValueKind.String ? owner.GetString() : null));
                index++;
            }

            return models;
        }
    }

    /// <summary>Unix seconds as OpenAI sends them; an ISO 8601 string as some gateways do; anything else is left out.</summary>
    private static DateTimeOffset? ReadCreated(JsonElement created)
    {
        if (created.ValueKind == JsonValueKind.Number && created.TryGetInt64(out var seconds) && seconds is > 0 and < 253_402_300_800)
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        if (created.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(created.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return parsed;
        }

        return null;
    }

    private static SeedreamException Invalid(string detail, Exception? inner = null) =>
        new($"The Seedream model list is not the expected shape: {detail}.", errorCode: SeedreamException.InvalidResponseCode,
            isTransient: false, innerException: inner);
}

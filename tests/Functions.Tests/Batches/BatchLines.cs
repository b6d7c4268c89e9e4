using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seedream.Functions.Tests.Batches;

/// <summary>Batch inputs for the tests: the provider's four examples as lines, and lines broken in every way a file can be.</summary>
internal static class BatchLines
{
    private static readonly string[] ExampleFiles = ["text-to-image.json", "image-to-image.json", "multi-image-fusion.json", "sequential-group.json"];

    /// <summary>The provider's examples verbatim (examples/), prompts marked so each test finds its own generation calls.</summary>
    public static JsonObject Example(int index, string marker)
    {
        var body = JsonNode.Parse(File.ReadAllText(Path.Combine(Seedream.Testing.RepositoryPaths.Root, "examples", ExampleFiles[index % ExampleFiles.Length])))!.AsObject();
        body["prompt"] = $"{marker} {body["prompt"]!.GetValue<string>()}";
        return body;
    }

    public static string Line(string customId, JsonObject body, string url = "/v1/images/generations") =>
        new JsonObject { ["custom_id"] = customId, ["method"] = "POST", ["url"] = url, ["body"] = body }.ToJsonString();

    /// <summary>
    /// <paramref name="count"/> lines: valid ones (ids <c>req-{n}</c>, rotating through the examples and both URLs) and, at
    /// every seventh line, one of the broken kinds. Returns the text, the custom_ids of the valid lines and the number of broken lines.
    /// </summary>
    public static (string Text, List<string> Valid, int Broken) Mixed(int count, string marker)
    {
        var text = new StringBuilder();
        var valid = new List<string>();
        var broken = 0;
        for (var n = 1; n <= count; n++)
        {
            if (n % 7 == 0)
            {
                broken++;
                text.Append(((n / 7) % 9) switch
                {
                    0 => "{\"custom_id\": \"broken-" + n + "\", \"method\": \"POST\"",                        // not JSON
                    1 => Line("req-1", Example(0, marker)),                                                   // duplicate custom_id
                    2 => new JsonObject { ["method"] = "POST", ["url"] = "/v1/images/generations", ["body"] = Example(0, marker) }.ToJsonString(), // no custom_id
                    3 => Line($"bad-url-{n}", Example(0, marker), "/v1/chat/completions"),
                    4 => Line($"bad-size-{n}", Patch(Example(0, marker), "size", "12x12")),                  // the intake refuses the body
                    5 => new JsonObject { ["custom_id"] = $"bad-method-{n}", ["method"] = "GET", ["url"] = "/v1/images/generations", ["body"] = Example(0, marker), ["extra"] = 1 }.ToJsonString(),
                    6 => string.Empty,                                                                         // blank line
                    7 => Line($"no-prompt-{n}", Patch(Example(0, marker), "prompt", null)),
                    _ => "{\"custom_id\": \"surrogate-" + n + "\", \"method\": \"POST\", \"url\": \"/v1/images/generations\", \"body\": {\"model\": \"doubao-seedream-5-0-260128\", \"prompt\": \"\\ud800\"}}",
                });
            }
            else
            {
                var id = $"req-{n}";
                valid.Add(id);
                text.Append(Line(id, Example(n, marker), n % 2 == 0 ? "/v1/images/generations" : "/api/v3/images/generations"));
            }

            text.Append(n % 5 == 0 ? "\r\n" : "\n");
        }

        return (text.ToString(), valid, broken);
    }

    private static JsonObject Patch(JsonObject body, string field, string? value)
    {
        if (value is null)
        {
            body.Remove(field);
        }
        else
        {
            body[field] = value;
        }

        return body;
    }

    public static int CountLines(string text) => text.Split('\n').Length - (text.EndsWith('\n') ? 1 : 0);

    public static string? CustomId(JsonElement line) => line.GetProperty("custom_id").ValueKind == JsonValueKind.String ? line.GetProperty("custom_id").GetString() : null;
}

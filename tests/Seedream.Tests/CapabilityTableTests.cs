using System.Globalization;
using System.Text.RegularExpressions;
using Seedream.Testing;
using SeedreamEmulator;

namespace Seedream.Tests;

/// <summary>
/// The client's capability table (<see cref="SeedreamModelCapabilities"/>) is the one source: the emulator serves every
/// known model with it (it reads the table, it keeps no copy), and docs/seedream-api.md §2.2 says the same.
/// </summary>
public sealed partial class CapabilityTableTests
{
    public static TheoryData<string> KnownModels() => [.. SeedreamModelCapabilities.KnownModelIds.Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(KnownModels))]
    public void The_emulator_serves_every_known_model_with_the_client_s_capabilities(string model)
    {
        var found = ServedModels.Find(model);
        Assert.True(found is not null, $"the emulator does not serve '{model}'.");
        Assert.Equal(model, found.Value.Echo);
        Assert.Same(SeedreamModelCapabilities.Find(model), found.Value.Capabilities);
    }

    [Fact]
    public void Every_model_the_emulator_lists_is_known_to_the_client_or_a_gateway_alias_of_one()
    {
        foreach (var (id, _, owner) in ServedModels.Listed(includeGatewayAliases: true))
        {
            if (SeedreamModelCapabilities.Find(id) is null)
            {
                // Gateway ids are not the client's to know; they must still be served as one of its models.
                Assert.Equal("custom", owner);
                Assert.Contains(ServedModels.Find(id)!.Value.Capabilities.ModelIds, SeedreamModelCapabilities.KnownModelIds.Contains);
            }
        }
    }

    [Fact]
    public void The_contract_table_in_section_2_2_says_what_the_client_s_table_says()
    {
        var rows = ContractTable();
        var columns = rows["capability"];
        Assert.Equal(6, columns.Count);
        var families = new[] { "doubao-seedream-5-0", "doubao-seedream-4-5", "doubao-seedream-4-0", "doubao-seedream-3-0-t2i", "doubao-seededit-3-0-i2i", "doubao-seedream-5-0-pro" };
        for (var column = 0; column < families.Length; column++)
        {
            var client = SeedreamModelCapabilities.KnownModelIds.Select(SeedreamModelCapabilities.Find).First(c => c!.Family == families[column])!;
            string Cell(string row) => rows[row][column];
            var context = $"§2.2 column '{columns[column]}' ({client.Family})";

            Assert.True(YesNo(Cell("text to image")) == client.SupportsTextToImage, context + ": text to image");
            Assert.True(MaxReferences(Cell("reference images (`image`)")) == client.MaxReferenceImages, context + ": reference images");
            Assert.True(Codes(Cell("`size` keywords")).SequenceEqual(client.SizeKeywords), context + ": size keywords");
            Assert.True(PixelRange(Cell("`size` as `WxH`: total pixels")) == (client.MinPixels, client.MaxPixels), context + ": pixels");
            Assert.True(Codes(Cell("default `size`")).SequenceEqual([client.DefaultSize]), context + ": default size");
            Assert.True(YesNo(Cell("`seed`, `guidance_scale`")) == (client.SupportsSeed && client.SupportsGuidanceScale), context + ": seed");
            Assert.True(YesNo(Cell("`sequential_image_generation` (groups)")) == client.SupportsSequentialGeneration, context + ": groups");
            Assert.True(YesNo(Cell("`stream`")) == client.SupportsStreaming, context + ": stream");
            Assert.True(Codes(Cell("`optimize_prompt_options.mode`")).SequenceEqual(client.OptimizePromptModes), context + ": optimize modes");
            Assert.True(Codes(Cell("`output_format`")).Where(c => c is "png" or "jpeg").Distinct().SequenceEqual(client.OutputFormats), context + ": output format");
            Assert.True(YesNo(Cell("`tools: [{\"type\":\"web_search\"}]`")) == client.SupportsWebSearch, context + ": web search");
        }
    }

    /// <summary>§2.2's table: the first cell of each row → the other cells.</summary>
    private static Dictionary<string, IReadOnlyList<string>> ContractTable()
    {
        var text = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "seedream-api.md"));
        var section = text[text.IndexOf("### 2.2 Capabilities", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", StringComparison.Ordinal)];
        var rows = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var line in section.Split('\n').Where(l => l.StartsWith('|') && !l.StartsWith("| ---", StringComparison.Ordinal)))
        {
            var cells = line.Trim().Trim('|').Split(" | ").Select(c => c.Trim()).ToArray();
            rows[cells[0]] = cells[1..];
        }

        return rows;
    }

    private static bool YesNo(string cell) =>
        cell.StartsWith("yes", StringComparison.Ordinal) ? true
        : cell.StartsWith("no", StringComparison.Ordinal) ? false
        : throw new Xunit.Sdk.XunitException($"'{cell}' is neither yes nor no.");

    /// <summary>The `code` spans of a cell, in order; none for "none"/"no".</summary>
    private static string[] Codes(string cell) => [.. CodeSpan().Matches(cell).Select(m => m.Groups[1].Value)];

    private static int MaxReferences(string cell) =>
        cell.StartsWith("rejected", StringComparison.Ordinal) ? 0
        : cell.StartsWith("exactly 1", StringComparison.Ordinal) ? 1
        : int.Parse(Regex.Match(cell, @"^1–(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);

    private static (long Min, long Max) PixelRange(string cell)
    {
        if (cell == "none")
        {
            return (0, 0);
        }

        var ends = cell.Split('–');
        return (Pixels(ends[0]), Pixels(ends[1]));

        static long Pixels(string text) => text.Contains('×', StringComparison.Ordinal)
            ? text.Split('×').Select(part => long.Parse(part, CultureInfo.InvariantCulture)).Aggregate((a, b) => a * b)
            : long.Parse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex CodeSpan();
}

namespace Seedream.Benchmarks;

/// <summary>The <c>capacity</c> command's arguments.</summary>
internal static class CapacityCommand
{
    public static CapacityOptions Options(BenchmarkArguments arguments) => new(
        arguments.Integers("jobs", "1,4,8,16"),
        arguments.List("sizes", "2K,4K"),
        arguments.Integer("images", 15),
        TimeSpan.FromSeconds(arguments.Number("settle-seconds", 60)),
        arguments.List("paths", "ours,sdk"),
        arguments.Integer("sdk-limit-mb", 4096) * 1024L * 1024,
        arguments.Text("model", SeedreamModels.Seedream50Lite),
        arguments.Integer("malformed", 300),
        TimeSpan.FromMinutes(arguments.Number("cell-timeout-minutes", 20)),
        IncludeShipped: arguments.Text("shipped", "true") == "true");
}

namespace Seedream.Benchmarks;

/// <summary>The harness's commands; see docs/benchmarks.md for what each measures.</summary>
internal static class BenchmarkCommands
{
    private const string Usage = """
        usage: Seedream.Benchmarks <command> [--name value ...]
          store-memory   [--images 1,5,15] [--sizes 4K] [--runs 3] [--sink file|blob] [--model id] [--format png] [--report docs/benchmarks.md]
        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        if (args.Count == 0)
        {
            await output.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }

        var arguments = new BenchmarkArguments(args.Skip(1).ToArray());
        switch (args[0])
        {
            case StoreMemoryBenchmark.Command:
                var options = new StoreMemoryOptions(
                    arguments.Integers("images", "1,5,15"),
                    arguments.List("sizes", "4K"),
                    arguments.Integer("runs", 3),
                    arguments.Text("sink", "file"),
                    arguments.Text("model", SeedreamModels.Seedream50Lite),
                    arguments.Text("format", "png"));
                var cells = await StoreMemoryBenchmark.RunAsync(options, output, cancellationToken).ConfigureAwait(false);
                var markdown = StoreMemoryBenchmark.Markdown(options, cells, args);
                await output.WriteLineAsync(markdown).ConfigureAwait(false);
                await ReportAsync(arguments, $"{StoreMemoryBenchmark.Command}-{options.Sink}", markdown, cancellationToken).ConfigureAwait(false);
                return 0;
            case StoreMemoryChild.Command:
                return await StoreMemoryChild.RunAsync(arguments, output, cancellationToken).ConfigureAwait(false);
            default:
                await output.WriteLineAsync(Usage).ConfigureAwait(false);
                return 2;
        }
    }

    private static async Task ReportAsync(BenchmarkArguments arguments, string sectionId, string markdown, CancellationToken cancellationToken)
    {
        if (arguments.OptionalText("report") is { } path)
        {
            await MarkdownReport.WriteSectionAsync(path, sectionId, markdown, cancellationToken).ConfigureAwait(false);
        }
    }
}

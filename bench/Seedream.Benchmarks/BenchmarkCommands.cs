namespace Seedream.Benchmarks;

/// <summary>The harness's commands; see docs/benchmarks.md for what each measures.</summary>
internal static class BenchmarkCommands
{
    private const string Usage = """
        usage: Seedream.Benchmarks <command> [--name value ...]
          store-memory      [--images 1,5,15] [--sizes 4K] [--runs 3] [--sink file|blob] [--model id] [--format png] [--report docs/benchmarks.md]
          store-throughput  [--images 4] [--size 4K] [--runs 3] [--modes url,b64_json] [--model id] [--format png] [--report docs/benchmarks.md]
          accept-latency    [--requests 1000] [--runs 3] [--report docs/benchmarks.md]
          first-image       [--images 4] [--delay-seconds 3] [--size 2K] [--model id] [--response-format b64_json|url] [--runs 3] [--report docs/benchmarks.md]
          thumbnails        [--edge 4096] [--runs 3] [--report docs/benchmarks.md]
          thumbnail-memory  [--edge 6000] [--concurrent 6] [--only BMP] [--report docs/benchmarks.md]
          listing           [--jobs 10000] [--page-size 25] [--repetitions 200] [--active 20] [--report docs/benchmarks.md]
          webhooks          [--jobs 200] [--receiver-delay-seconds 5] [--rounds 2] [--submitters 4] [--timeout-minutes 20] [--report docs/benchmarks.md]
          soak              [--jobs 1000] [--fault-percent 5] [--submitters 4] [--timeout-minutes 20] [--report docs/benchmarks.md]
          batch-fanout      [--lines 50000] [--line-bytes 4000] [--invalid-every 10] [--report docs/benchmarks.md]
          batch-run         [--lines 10000] [--invalid-every 10] [--kills 0] [--image-delay-ms 20] [--max-polling-ms 500] [--max-jobs-ahead 500] [--timeout-minutes 30] [--report docs/benchmarks.md]
          batch-queue-depth [--depths 0,1000,4000,10000] [--samples 40] [--report docs/benchmarks.md]
          scale-out         [--instances 3] [--jobs-per-size 80] [--job-sizes 1,4,15] [--limit 400] [--window-seconds 20] [--image-delay-ms 50] [--modes Off,Deferral,Adaptive,SharedBudget] [--timeout-minutes 10] [--report docs/benchmarks.md]
          capacity          [--jobs 1,4,8,16] [--sizes 2K,4K] [--images 15] [--settle-seconds 60] [--paths ours,sdk] [--sdk-limit-mb 4096] [--malformed 300] [--shipped true|false] [--model id] [--cell-timeout-minutes 20] [--report docs/benchmarks.md]
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
                return await ReportAsync(arguments, $"{StoreMemoryBenchmark.Command}-{options.Sink}", StoreMemoryBenchmark.Markdown(options, cells, args), output, cancellationToken).ConfigureAwait(false);
            case StoreThroughputBenchmark.Command:
                var throughputOptions = new StoreThroughputOptions(
                    arguments.Integer("images", 4),
                    arguments.Text("size", "4K"),
                    arguments.Integer("runs", 3),
                    arguments.Text("model", SeedreamModels.Seedream50Lite),
                    arguments.Text("format", "png"),
                    arguments.List("modes", "url,b64_json"));
                var passes = await StoreThroughputBenchmark.RunAsync(throughputOptions, output, cancellationToken).ConfigureAwait(false);
                return await ReportAsync(arguments, StoreThroughputBenchmark.Command, StoreThroughputBenchmark.Markdown(throughputOptions, passes, args), output, cancellationToken).ConfigureAwait(false);
            case AcceptLatencyBenchmark.Command:
                var acceptOptions = new AcceptLatencyOptions(arguments.Integer("requests", 1000), arguments.Integer("runs", 3));
                var accept = await AcceptLatencyBenchmark.RunAsync(acceptOptions, output, cancellationToken).ConfigureAwait(false);
                return await ReportAsync(arguments, AcceptLatencyBenchmark.Command, AcceptLatencyBenchmark.Markdown(acceptOptions, accept, args), output, cancellationToken).ConfigureAwait(false);
            case FirstImageBenchmark.Command:
                var firstImageOptions = new FirstImageOptions(
                    arguments.Integer("images", 4),
                    TimeSpan.FromSeconds(arguments.Number("delay-seconds", 3)),
                    arguments.Text("size", "2K"),
                    arguments.Text("model", SeedreamModels.Seedream50Lite),
                    arguments.Text("response-format", "b64_json"),
                    arguments.Integer("runs", 3));
                var firstImage = await FirstImageBenchmark.RunAsync(firstImageOptions, output, cancellationToken).ConfigureAwait(false);
                return await ReportAsync(arguments, $"{FirstImageBenchmark.Command}-{firstImageOptions.ResponseFormat}", FirstImageBenchmark.Markdown(firstImageOptions, firstImage, args), output, cancellationToken).ConfigureAwait(false);
            case SoakBenchmark.Command:
                var soakOptions = new SoakOptions(
                    arguments.Integer("jobs", 1000),
                    arguments.Integer("fault-percent", 5),
                    arguments.Integer("submitters", 4),
                    TimeSpan.FromMinutes(arguments.Number("timeout-minutes", 20)));
                var soak = await SoakBenchmark.RunAsync(soakOptions, output, cancellationToken).ConfigureAwait(false);
                await ReportAsync(arguments, SoakBenchmark.Command, SoakBenchmark.Markdown(soakOptions, soak, args), output, cancellationToken).ConfigureAwait(false);
                // A soak that broke an invariant fails the command, so scripts notice.
                return soak.LostJobs + soak.NonTerminalJobs + soak.DuplicateCompletionEvents + soak.RepeatedGenerations == 0 ? 0 : 1;
            case WebhookBenchmark.Command:
                var webhookOptions = new WebhookBenchmarkOptions(
                    arguments.Integer("jobs", 200),
                    TimeSpan.FromSeconds(arguments.Number("receiver-delay-seconds", 5)),
                    arguments.Integer("rounds", 2),
                    arguments.Integer("submitters", 4),
                    TimeSpan.FromMinutes(arguments.Number("timeout-minutes", 20)));
                var webhooks = await WebhookBenchmark.RunAsync(webhookOptions, output, cancellationToken).ConfigureAwait(false);
                return await ReportAsync(arguments, WebhookBenchmark.Command, WebhookBenchmark.Markdown(webhookOptions, webhooks, args), output, cancellationToken).ConfigureAwait(false);
            case ThumbnailBenchmark.Command:
                var thumbnailOptions = new ThumbnailOptions(arguments.Integer("edge", 4096), arguments.Integer("runs", 3));
                var thumbnails = await ThumbnailBenchmark.RunAsync(thumbnailOptions, output, cancellationToken).ConfigureAwait(false);
                return await ReportAsync(arguments, ThumbnailBenchmark.Command, ThumbnailBenchmark.Markdown(thumbnailOptions, thumbnails, args), output, cancellationToken).ConfigureAwait(false);
            case ThumbnailBenchmark.ChildCommand:
                return await ThumbnailBenchmark.RunChildAsync(arguments, output, cancellationToken).ConfigureAwait(false);
            case ThumbnailMemoryBenchmark.Command:
                var memoryOptions = new ThumbnailMemoryOptions(arguments.Integer("edge", 6000), arguments.Integer("concurrent", 6), arguments.OptionalText("only"));
                var memory = await ThumbnailMemoryBenchmark.RunAsync(memoryOptions, output, cancellationToken).ConfigureAwait(false);
                return await ReportAsync(arguments, ThumbnailMemoryBenchmark.Command, ThumbnailMemoryBenchmark.Markdown(memoryOptions, memory, args), output, cancellationToken).ConfigureAwait(false);
            case ThumbnailMemoryBenchmark.ChildCommand:
                return await ThumbnailMemoryBenchmark.RunChildAsync(arguments, output, cancellationToken).ConfigureAwait(false);
            case ListingBenchmark.Command:
                var listingOptions = new ListingOptions(arguments.Integer("jobs", 10_000), arguments.Integer("page-size", 25), arguments.Integer("repetitions", 200), arguments.Integer("active", 20));
                var listing = await ListingBenchmark.RunAsync(listingOptions, output, cancellationToken).ConfigureAwait(false);
                return await ReportAsync(arguments, ListingBenchmark.Command, ListingBenchmark.Markdown(listingOptions, listing, args), output, cancellationToken).ConfigureAwait(false);
            case BatchFanOutBenchmark.Command:
                var batchOptions = new BatchFanOutOptions(arguments.Integer("lines", 50_000), arguments.Integer("line-bytes", 4000), arguments.Integer("invalid-every", 10));
                var batch = await BatchFanOutBenchmark.RunAsync(batchOptions, output, cancellationToken).ConfigureAwait(false);
                return await ReportAsync(arguments, $"{BatchFanOutBenchmark.Command}-{batchOptions.Lines}", BatchFanOutBenchmark.Markdown(batchOptions, batch, args), output, cancellationToken).ConfigureAwait(false);
            case BatchQueueDepthBenchmark.Command:
                var depthOptions = new BatchQueueDepthOptions(arguments.Integers("depths", "0,1000,4000,10000"), arguments.Integer("samples", 40));
                var depthRows = await BatchQueueDepthBenchmark.RunAsync(depthOptions, output, cancellationToken).ConfigureAwait(false);
                return await ReportAsync(arguments, BatchQueueDepthBenchmark.Command, BatchQueueDepthBenchmark.Markdown(depthOptions, depthRows, args), output, cancellationToken).ConfigureAwait(false);
            case BatchRunBenchmark.Command:
                var runOptions = new BatchRunOptions(
                    arguments.Integer("lines", 10_000), arguments.Integer("invalid-every", 10), arguments.Integer("kills", 0),
                    TimeSpan.FromMilliseconds(arguments.Integer("image-delay-ms", 20)), TimeSpan.FromMinutes(arguments.Integer("timeout-minutes", 30)),
                    TimeSpan.FromMilliseconds(arguments.Integer("max-polling-ms", 500)), arguments.Integer("max-jobs-ahead", BatchRunOptions.DefaultWindow));
                var run = await BatchRunBenchmark.RunAsync(runOptions, output, cancellationToken).ConfigureAwait(false);
                return await ReportAsync(arguments, $"{BatchRunBenchmark.Command}-{runOptions.Lines}-{runOptions.Kills}", BatchRunBenchmark.Markdown(runOptions, run, args), output, cancellationToken).ConfigureAwait(false);
            case CapacityBenchmark.Command:
                var capacityOptions = CapacityCommand.Options(arguments);
                var capacity = await CapacityBenchmark.RunAsync(capacityOptions, output, cancellationToken, async partial =>
                {
                    if (arguments.OptionalText("report") is { } reportPath)
                    {
                        await MarkdownReport.WriteSectionAsync(reportPath, CapacityBenchmark.Command, CapacityBenchmark.Markdown(capacityOptions, partial, args), cancellationToken).ConfigureAwait(false);
                    }
                }).ConfigureAwait(false);
                return await ReportAsync(arguments, CapacityBenchmark.Command, CapacityBenchmark.Markdown(capacityOptions, capacity, args), output, cancellationToken).ConfigureAwait(false);
            case ScaleOutBenchmark.Command:
                var scaleOutOptions = new ScaleOutOptions(
                    arguments.Integer("instances", 3),
                    arguments.Integer("jobs-per-size", 80),
                    arguments.Integers("job-sizes", "1,4,15"),
                    arguments.Integer("limit", 400),
                    TimeSpan.FromSeconds(arguments.Number("window-seconds", 20)),
                    TimeSpan.FromMilliseconds(arguments.Number("image-delay-ms", 50)),
                    arguments.List("modes", "Off,Deferral,Adaptive,SharedBudget"),
                    TimeSpan.FromMinutes(arguments.Number("timeout-minutes", 10)));
                var scaleOut = await ScaleOutBenchmark.RunAsync(scaleOutOptions, output, cancellationToken).ConfigureAwait(false);
                return await ReportAsync(arguments, ScaleOutBenchmark.Command, ScaleOutBenchmark.Markdown(scaleOutOptions, scaleOut, args), output, cancellationToken).ConfigureAwait(false);
            case CapacitySdkChild.Command:
                return await CapacitySdkChild.RunAsync(arguments, output, cancellationToken).ConfigureAwait(false);
            case StoreMemoryChild.Command:
                return await StoreMemoryChild.RunAsync(arguments, output, cancellationToken).ConfigureAwait(false);
            default:
                await output.WriteLineAsync(Usage).ConfigureAwait(false);
                return 2;
        }
    }

    /// <summary>Prints the results and, with <c>--report</c>, writes them into their section of that file.</summary>
    private static async Task<int> ReportAsync(BenchmarkArguments arguments, string sectionId, string markdown, TextWriter output, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync(markdown).ConfigureAwait(false);
        if (arguments.OptionalText("report") is { } path)
        {
            await MarkdownReport.WriteSectionAsync(path, sectionId, markdown, cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }
}

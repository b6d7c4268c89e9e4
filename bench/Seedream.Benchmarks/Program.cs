using Seedream.Benchmarks;

return await BenchmarkCommands.RunAsync(args, Console.Out, CancellationToken.None);

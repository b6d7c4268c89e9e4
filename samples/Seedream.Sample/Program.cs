// Seedream client sample: a text-to-image call saved to files, then a group streamed image by image.
//   dotnet run --project samples/Seedream.Sample -- <base-url> <api-key> [output-dir]
// e.g. against a local emulator: dotnet run --project samples/Seedream.Sample -- http://127.0.0.1:5080/v1 local-seedream-key
using Seedream.Samples;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Seedream.Sample <base-url …/v1 or …/api/v3> <api-key> [output-dir]");
    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

return await SeedreamSample.RunAsync(new Uri(args[0]), args[1], args.Length > 2 ? args[2] : "seedream-output", Console.Out, cancellation.Token);

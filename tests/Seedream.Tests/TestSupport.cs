using SeedreamEmulator;

namespace Seedream.Tests;

internal static class TestSupport
{
    public const string ApiKey = "test-secret-key-7f3a9c";

    public static string ExamplesDirectory => Path.Combine(Seedream.Testing.RepositoryPaths.Root, "examples");

    public static readonly string[] ExampleFiles = ["text-to-image.json", "image-to-image.json", "multi-image-fusion.json", "sequential-group.json"];

    public static string ReadExample(string file) => File.ReadAllText(Path.Combine(ExamplesDirectory, file));

    public static SeedreamClientOptions Options(params Uri[] baseUrls)
    {
        var options = new SeedreamClientOptions
        {
            ApiKey = ApiKey,
            DefaultRetryAfter = TimeSpan.FromMilliseconds(200),
            RequestTimeout = TimeSpan.FromSeconds(60),
            DownloadTimeout = TimeSpan.FromSeconds(30),
        };
        foreach (var baseUrl in baseUrls)
        {
            options.BaseUrls.Add(baseUrl);
        }

        options.Downloads.AllowHttp = true;
        options.Downloads.AllowPrivateNetworks = true;
        return options;
    }

    /// <summary>
    /// An emulator that lets its own reference images stand in for references on other hosts: the provider's examples
    /// point at https://example.com/…, which nothing can read (the emulator's default answers them as the real API would).
    /// </summary>
    public static Task<SeedreamEmulatorServer> StartEmulatorAsync() =>
        SeedreamEmulatorServer.StartAsync(options =>
        {
            options.ApiKey = ApiKey;
            options.ExternalReferences = ExternalReferenceMode.Substitute;
        });

    /// <summary>A loopback port nobody listens on (connections are refused).</summary>
    public static Uri ClosedPortBaseUrl()
    {
        var port = Seedream.Testing.FreePorts.Take(1)[0];
        return new Uri($"http://127.0.0.1:{port}/api/v3");
    }

    public static async Task<List<GeneratedImage>> ReadAllImagesAsync(ImageGenerationResponse response, Func<GeneratedImage, Task>? onImage = null)
    {
        var images = new List<GeneratedImage>();
        await foreach (var image in response.ReadImagesAsync())
        {
            images.Add(image);
            if (onImage is not null)
            {
                await onImage(image);
            }
        }

        return images;
    }
}

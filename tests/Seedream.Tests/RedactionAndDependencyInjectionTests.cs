using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Seedream.Tests;

public sealed class RedactionAndDependencyInjectionTests(EmulatorFixture emulator) : IClassFixture<EmulatorFixture>
{
    private IConfiguration Configuration(params (string Key, string? Value)[] overrides)
    {
        var values = new Dictionary<string, string?>
        {
            ["Seedream:BaseUrls:0"] = emulator.Server.ArkBaseUrl.ToString(),
            ["Seedream:ApiKey"] = TestSupport.ApiKey,
            ["Seedream:Downloads:AllowPrivateNetworks"] = "true",
            ["Seedream:Downloads:AllowHttp"] = "true",
            ["Seedream:RequestTimeout"] = "00:01:00",
        };
        foreach (var (key, value) in overrides)
        {
            values[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    [Fact]
    public async Task RegisteredClientWorksAndNothingLogsTheKey()
    {
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(builder => builder.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        services.AddSeedreamClient(Configuration(("Seedream:BaseUrls:0", TestSupport.ClosedPortBaseUrl().ToString()), ("Seedream:BaseUrls:1", emulator.Server.GatewayBaseUrl.ToString())).GetSection("Seedream"));
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        var client = provider.GetRequiredService<SeedreamClient>();

        await using (var response = await client.GenerateImagesAsync(new ImageGenerationRequest { Model = SeedreamModels.Seedream45, Prompt = "p" }))
        {
            var image = Assert.Single(await TestSupport.ReadAllImagesAsync(response));
            await TestImages.ReadAllAsync(image);
        }

        emulator.Server.Faults.Enqueue("rate-limit;retry-after=0");
        emulator.Server.Faults.Enqueue("internal-error");
        var error = await Assert.ThrowsAsync<SeedreamException>(() => client.GenerateImagesAsync(new ImageGenerationRequest { Model = SeedreamModels.Seedream45, Prompt = "p" }));
        Assert.Equal(500, error.Status);

        Assert.NotEmpty(logs.Lines);
        Assert.Contains(logs.Lines, line => line.Contains("/images/generations", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, line => line.Contains(TestSupport.ApiKey, StringComparison.Ordinal));
        Assert.DoesNotContain(TestSupport.ApiKey, client.ToString());
        Assert.DoesNotContain(TestSupport.ApiKey, provider.GetRequiredService<IOptions<SeedreamClientOptions>>().Value.ToString());
        Assert.DoesNotContain(TestSupport.ApiKey, error.ToString());
    }

    [Fact]
    public void InvalidConfigurationFailsAtStartWithClearMessages()
    {
        var services = new ServiceCollection();
        services.AddSeedreamClient(Configuration(("Seedream:BaseUrls:0", "ftp://nowhere"), ("Seedream:ApiKey", ""), ("Seedream:RequestTimeout", "-00:00:01")).GetSection("Seedream"));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(error.Failures, f => f.Contains("Seedream:BaseUrls:0", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Seedream:ApiKey is required", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Seedream:RequestTimeout", StringComparison.Ordinal));
    }

    [Fact]
    public void OptionsBindFromConfiguration()
    {
        var services = new ServiceCollection();
        services.AddSeedreamClient(Configuration(("Seedream:BaseUrls:1", "https://ark.cn-beijing.volces.com/api/v3"), ("Seedream:Downloads:MaxImageBytes", "1234")).GetSection("Seedream"));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<SeedreamClientOptions>>().Value;

        Assert.Equal([emulator.Server.ArkBaseUrl, new Uri("https://ark.cn-beijing.volces.com/api/v3")], options.BaseUrls);
        Assert.True(options.Downloads.AllowPrivateNetworks);
        Assert.Equal(1234, options.Downloads.MaxImageBytes);
        Assert.Equal(TimeSpan.FromMinutes(1), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), options.DownloadTimeout);
        Assert.Contains("ApiKey = ***", options.ToString());
    }

    [Fact]
    public void StandaloneClientRefusesInvalidOptions()
    {
        var error = Assert.Throws<ArgumentException>(() => new SeedreamClient(new SeedreamClientOptions { ApiKey = TestSupport.ApiKey }));

        Assert.Contains("Seedream:BaseUrls", error.Message);
        Assert.DoesNotContain(TestSupport.ApiKey, error.Message);
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var properties = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
                lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} {properties} {exception}");
            }
        }
    }
}

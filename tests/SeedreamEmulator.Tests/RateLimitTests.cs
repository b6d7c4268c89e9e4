using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace SeedreamEmulator.Tests;

/// <summary>The provider's per-model limits (Emulator:RateLimits): IPM in images over a sliding window, RPM, bursts, and the quota codes as faults.</summary>
public sealed class RateLimitTests
{
    private const string Model = "doubao-seedream-4-0-250828";

    private static string Images(int count) => count == 1
        ? $$"""{"model":"{{Model}}","prompt":"a kite","size":"1K"}"""
        : $$"""{"model":"{{Model}}","prompt":"{{count}} images of a kite","size":"1K","sequential_image_generation":"auto","sequential_image_generation_options":{"max_images":{{count}}} }""";

    private static async Task<(int Status, string? Code)> PostAsync(HttpClient http, SeedreamEmulatorServer server, string body)
    {
        using var response = await EmulatorTestHost.PostAsync(http, server, body);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return (200, null);
        }

        var error = (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("error");
        return ((int)response.StatusCode, error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Images_per_window_are_counted_in_images_and_refused_with_the_ipm_code_until_the_window_slides()
    {
        await using var server = await SeedreamEmulatorServer.StartAsync(options =>
        {
            options.RateLimits.ImagesPerWindow = 10;
            options.RateLimits.Window = TimeSpan.FromSeconds(2);
            options.RateLimits.RetryAfterSeconds = 2;
        });
        using var http = EmulatorTestHost.CreateClient(server);

        Assert.Equal((200, null), await PostAsync(http, server, Images(4)));
        Assert.Equal((200, null), await PostAsync(http, server, Images(4)));
        // 8 of 10 used: a 4-image request would exceed the limit, a 2-image one fits.
        using (var refused = await EmulatorTestHost.PostAsync(http, server, Images(4)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(2), refused.Headers.RetryAfter?.Delta);
            var error = (await EmulatorTestHost.ReadJsonAsync(refused)).GetProperty("error");
            Assert.Equal("ModelAccountIpmRateLimitExceeded", error.GetProperty("code").GetString());
            Assert.Equal("TooManyRequests", error.GetProperty("type").GetString());
            Assert.StartsWith("IPM (Images Per Minute) limit of the model is exceeded.", error.GetProperty("message").GetString());
        }

        Assert.Equal((200, null), await PostAsync(http, server, Images(2)));
        Assert.Equal((429, "ModelAccountIpmRateLimitExceeded"), await PostAsync(http, server, Images(1)));

        // Another model has its own budget.
        Assert.Equal((200, null), await PostAsync(http, server, """{"model":"doubao-seedream-4-5-251128","prompt":"a kite","size":"2K"}"""));

        await Task.Delay(TimeSpan.FromSeconds(2.2));
        Assert.Equal((200, null), await PostAsync(http, server, Images(4)));
        var generated = server.Requests.Where(request => request.Path.EndsWith("/generations", StringComparison.Ordinal)).Select(request => request.ResponseStatus).ToList();
        Assert.Equal([200, 200, 429, 200, 429, 200, 200], generated);
    }

    [Fact]
    public async Task Requests_per_window_and_bursts_are_refused_with_their_own_codes()
    {
        await using var server = await SeedreamEmulatorServer.StartAsync(options =>
        {
            options.RateLimits.RequestsPerWindow = 3;
            options.RateLimits.Window = TimeSpan.FromSeconds(30);
        });
        using var http = EmulatorTestHost.CreateClient(server);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal((200, null), await PostAsync(http, server, Images(1)));
        }

        Assert.Equal((429, "ModelAccountRpmRateLimitExceeded"), await PostAsync(http, server, Images(1)));

        server.Options.RateLimits.RequestsPerWindow = 0;
        server.Options.RateLimits.BurstRequests = 2;
        server.Options.RateLimits.BurstInterval = TimeSpan.FromSeconds(30);
        server.ResetRateLimits();
        Assert.Equal((200, null), await PostAsync(http, server, Images(1)));
        Assert.Equal((200, null), await PostAsync(http, server, Images(1)));
        Assert.Equal((429, "RequestBurstTooFast"), await PostAsync(http, server, Images(1)));
    }

    [Fact]
    public async Task A_refused_request_is_not_counted()
    {
        await using var server = await SeedreamEmulatorServer.StartAsync(options =>
        {
            options.RateLimits.ImagesPerWindow = 5;
            options.RateLimits.Window = TimeSpan.FromSeconds(30);
        });
        using var http = EmulatorTestHost.CreateClient(server);

        Assert.Equal((429, "ModelAccountIpmRateLimitExceeded"), await PostAsync(http, server, Images(6)));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal((200, null), await PostAsync(http, server, Images(1)));
        }

        Assert.Equal((429, "ModelAccountIpmRateLimitExceeded"), await PostAsync(http, server, Images(1)));
    }

    [Theory]
    [InlineData("error;code=QuotaExceeded", "QuotaExceeded", "The request has exceeded the quota.")]
    [InlineData("error;code=SetLimitExceeded", "SetLimitExceeded", "Your account has reached the set inference limit for the doubao-seedream-4-0-250828 model, and the model service has been paused.")]
    public async Task Quota_and_paused_model_are_injectable_as_429_faults(string fault, string code, string messageStart)
    {
        await using var server = await SeedreamEmulatorServer.StartAsync();
        using var http = EmulatorTestHost.CreateClient(server);
        server.Faults.Enqueue(fault, 2);

        for (var i = 0; i < 2; i++)
        {
            using var response = await EmulatorTestHost.PostAsync(http, server, Images(1));
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            var error = (await EmulatorTestHost.ReadJsonAsync(response)).GetProperty("error");
            Assert.Equal(code, error.GetProperty("code").GetString());
            Assert.StartsWith(messageStart, error.GetProperty("message").GetString());
        }

        Assert.Equal((200, null), await PostAsync(http, server, Images(1)));
    }

    [Fact]
    public async Task Limits_are_read_from_configuration_and_reset_over_the_control_plane()
    {
        var app = EmulatorApplication.Create(["--urls", "http://127.0.0.1:0", "--Emulator:RateLimits:ImagesPerWindow=2", "--Emulator:RateLimits:Window=00:00:30", "--Logging:LogLevel:Default=Warning"]);
        var options = app.Services.GetRequiredService<EmulatorOptions>();
        await app.DisposeAsync();
        Assert.Equal(2, options.RateLimits.ImagesPerWindow);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RateLimits.Window);

        await using var server = await SeedreamEmulatorServer.StartAsync(o => o.RateLimits.ImagesPerWindow = 1);
        using var http = EmulatorTestHost.CreateClient(server);
        Assert.Equal((200, null), await PostAsync(http, server, Images(1)));
        Assert.Equal((429, "ModelAccountIpmRateLimitExceeded"), await PostAsync(http, server, Images(1)));
        using (var reset = await http.DeleteAsync("_emulator/rate-limits"))
        {
            Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        }

        Assert.Equal((200, null), await PostAsync(http, server, Images(1)));
    }
}

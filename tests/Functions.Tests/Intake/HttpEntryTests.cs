using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Seedream.Functions.Http;
using Seedream.Functions.Submissions;

namespace Seedream.Functions.Tests.Intake;

/// <summary>
/// <c>POST /api/generations</c> for a representative subset of every class: a 400 problem+json naming every field
/// (413 for bodies over the limit), never a 5xx, nothing stored or enqueued; content-type games change nothing.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class HttpEntryTests(PipelineFixture fixture)
{
    /// <summary>The first cases of each class.</summary>
    public static TheoryData<string> Representative()
    {
        var data = new TheoryData<string>();
        foreach (var group in BadInputCases.All.GroupBy(c => c.Class))
        {
            foreach (var badCase in group.Take(4))
            {
                data.Add(badCase.ToString());
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Representative))]
    public async Task Bad_input_gets_a_problem_naming_every_field_and_stores_nothing(string name)
    {
        var badCase = BadInputCases.ByName[name];
        await using var harness = fixture.CreateHarness();
        var headers = badCase.CancelAfter is null ? null : new Dictionary<string, string> { ["Cancel-After"] = badCase.CancelAfter };

        var response = await harness.SubmitAsync(badCase.Body, headers);

        Assert.True(response.Status < 500, $"{name}: {response.Status} {response.Text}");
        Assert.Equal("application/problem+json", response.ContentType);
        if (badCase.Class == "size")
        {
            Assert.Equal(StatusCodes.Status413PayloadTooLarge, response.Status);
        }
        else
        {
            Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
            IntakeKit.NamesEvery(IntakeKit.Errors(response.Json.GetProperty("errors")), badCase.Fields, name);
        }

        Assert.Equal(0, await IntakeKit.BlobCountAsync(harness.Storage.Jobs));
        Assert.False((await harness.Storage.GenerationRequests.ExistsAsync()).Value && (await harness.Storage.GenerationRequests.PeekMessagesAsync()).Value.Length > 0);
    }

    [Theory]
    [InlineData("text/plain", true)]
    [InlineData("application/x-www-form-urlencoded", true)]
    [InlineData("multipart/form-data; boundary=x", true)]
    [InlineData("application/json; charset=utf-16", true)]
    [InlineData("", true)]
    [InlineData("text/plain", false)]
    [InlineData("application/json; charset=utf-16", false)]
    [InlineData("application/xml", false)]
    public async Task Content_type_games_change_nothing_the_bytes_are_read_as_utf8_json(string contentType, bool validBody)
    {
        await using var harness = fixture.CreateHarness();
        var body = validBody ? Encoding.UTF8.GetBytes(BadInputCases.Json()) : Encoding.Unicode.GetBytes(BadInputCases.Json());

        var response = await harness.SubmitAsync(body, new Dictionary<string, string> { ["Content-Type"] = contentType });

        Assert.Equal(validBody ? StatusCodes.Status202Accepted : StatusCodes.Status400BadRequest, response.Status);
        if (!validBody)
        {
            Assert.True(response.Json.GetProperty("errors").TryGetProperty("$", out _), response.Text);
        }
    }

    [Fact]
    public async Task Cancel_after_and_deadline_are_accepted_and_a_rejection_names_the_header()
    {
        await using var harness = fixture.CreateHarness();
        var ok = await harness.SubmitAsync(BadInputCases.Json(), new Dictionary<string, string> { ["Cancel-After"] = "1h30m" });
        var bad = await harness.SubmitAsync(BadInputCases.Json(r => r["deadline"] = "yesterday"), new Dictionary<string, string> { ["Cancel-After"] = "soon" });

        Assert.Equal(StatusCodes.Status202Accepted, ok.Status);
        var errors = IntakeKit.Errors(bad.Json.GetProperty("errors"));
        IntakeKit.NamesEvery(errors, ["Cancel-After", "deadline"], "both");
    }

    [Fact]
    public async Task Unknown_model_is_a_400_naming_model_with_the_advice_to_list_models()
    {
        await using var harness = fixture.CreateHarness();

        var response = await harness.SubmitAsync(BadInputCases.Json(r => r["model"] = "doubao-seedream-9-9-991231"));

        Assert.Equal(StatusCodes.Status400BadRequest, response.Status);
        var message = Assert.Single(IntakeKit.Errors(response.Json.GetProperty("errors"))["model"]);
        Assert.Contains("GET /api/models", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rejection_is_logged_once_at_information_with_values_cut()
    {
        await using var harness = fixture.CreateHarness();
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var function = new SubmitGeneration(harness.Services.GetRequiredService<RequestBodyReader>(), harness.Services.GetRequiredService<SubmissionService>(), factory.CreateLogger<SubmitGeneration>());
        var context = new DefaultHttpContext { RequestServices = harness.Services };
        context.Request.Method = "POST";
        context.Request.Path = "/api/generations";
        var body = Encoding.UTF8.GetBytes(BadInputCases.Json(r => r["model"] = new string('m', 10_000) + "\n" + "FORGED LINE"));
        context.Request.Body = new MemoryStream(body);
        context.Request.ContentLength = body.Length;

        var result = await function.RunAsync(context.Request, CancellationToken.None);
        context.Response.Body = new MemoryStream();
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));

        Assert.Equal(400, context.Response.StatusCode);
        var line = Assert.Single(logs.Entries);
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Contains("refused", line.Message, StringComparison.Ordinal);
        Assert.InRange(line.Message.Length, 1, 700);
        Assert.DoesNotContain(new string('m', 200), line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line.Message);
    }

    [Fact]
    public async Task Get_models_lists_the_emulators_catalog_with_known_capabilities()
    {
        await using var harness = fixture.CreateHarness();
        var context = new DefaultHttpContext { RequestServices = harness.Services };
        context.Request.Method = "GET";
        context.Response.Body = new MemoryStream();

        var result = await harness.Create<GetModels>().RunAsync(context.Request, CancellationToken.None);
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));

        Assert.Equal(200, context.Response.StatusCode);
        using var document = System.Text.Json.JsonDocument.Parse(((MemoryStream)context.Response.Body).ToArray());
        var models = document.RootElement.GetProperty("data").EnumerateArray().ToList();
        var known = Assert.Single(models, m => m.GetProperty("id").GetString() == TestRequests.Model);
        Assert.Equal(14, known.GetProperty("capabilities").GetProperty("maxReferenceImages").GetInt32());
        Assert.Contains(models, m => m.GetProperty("capabilities").ValueKind == System.Text.Json.JsonValueKind.Null || m.GetProperty("capabilities").ValueKind == System.Text.Json.JsonValueKind.Object);
    }

    [Fact]
    public async Task Where_the_catalog_cannot_be_read_an_unknown_model_passes_and_the_provider_decides()
    {
        var deadPort = Seedream.Testing.FreePorts.Take(1)[0];
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["Seedream:BaseUrls:0"] = $"http://127.0.0.1:{deadPort}/v1", ["Models:ReadTimeout"] = "00:00:02" });

        var response = await harness.SubmitAsync(BadInputCases.Json(r => r["model"] = "gateway-alias-not-in-any-table"));

        Assert.Equal(StatusCodes.Status202Accepted, response.Status);
    }

    internal sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner.Entries)
                {
                    owner.Entries.Add((logLevel, formatter(state, exception)));
                }
            }
        }
    }
}

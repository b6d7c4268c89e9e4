using System.Text.Json;
using System.Text.RegularExpressions;
using Seedream.Functions.Jobs;
using Seedream.Functions.OpenApi;

namespace Seedream.Functions.Tests.Operations;

/// <summary>GET /api/openapi.json: it describes exactly the HTTP functions the build declares, and the app's real answers match it.</summary>
[Collection(PipelineCollection.Name)]
public sealed partial class OpenApiDocumentTests(PipelineFixture fixture)
{
    [Fact]
    public void Document_lists_exactly_the_routes_and_methods_of_functions_metadata_under_their_function_names()
    {
        var declared = HttpFunctionsOfMetadata()
            .Select(function => (Path: OpenApiPathOf(function.Route), function.Method, function.Name))
            .OrderBy(route => route.Path, StringComparer.Ordinal).ThenBy(route => route.Method, StringComparer.Ordinal)
            .ToList();

        var documented = OpenApiDocument.Load()["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(operation => (Path: path.Key, Method: operation.Key, Name: (string)operation.Value!["operationId"]!)))
            .OrderBy(route => route.Path, StringComparer.Ordinal).ThenBy(route => route.Method, StringComparer.Ordinal)
            .ToList();

        Assert.Equal(declared, documented);
    }

    [Fact]
    public void Only_the_document_itself_is_anonymous_in_the_document_and_in_the_metadata()
    {
        var anonymous = HttpFunctionsOfMetadata().Where(function => function.AuthLevel == "Anonymous").Select(function => function.Name);
        Assert.Equal([nameof(GetOpenApiDocument)], anonymous);

        var document = OpenApiDocument.Load();
        Assert.Equal("3.1.0", (string)document["openapi"]!);
        var schemes = document["components"]!["securitySchemes"]!;
        Assert.Equal("x-functions-key", (string)schemes["functionKeyHeader"]!["name"]!);
        Assert.Equal("header", (string)schemes["functionKeyHeader"]!["in"]!);
        Assert.Equal("code", (string)schemes["functionKeyQuery"]!["name"]!);
        Assert.Equal("query", (string)schemes["functionKeyQuery"]!["in"]!);
        var open = document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject())
            .Where(operation => operation.Value!["security"] is { } security && security.AsArray().Count == 0)
            .Select(operation => (string)operation.Value!["operationId"]!);
        Assert.Equal([nameof(GetOpenApiDocument)], open);
    }

    [Fact]
    public async Task Served_document_names_the_server_it_was_fetched_from_and_matches_its_own_schema()
    {
        await using var harness = fixture.CreateHarness();

        var response = await harness.OpenApiAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("https://pipeline.example/api", response.Json.GetProperty("servers")[0].GetProperty("url").GetString());
        Contract().AssertValid("/openapi.json", "get", response);
    }

    [Fact]
    public async Task Real_responses_of_each_route_match_the_document()
    {
        await using var harness = fixture.CreateHarness(new Dictionary<string, string?> { ["JobIndexTable"] = "ix" + Guid.NewGuid().ToString("N")[..16] });
        var contract = Contract();

        var accepted = await harness.SubmitAsync(TestRequests.Create("openapi contract", maxImages: 2, configure: r => r["metadata"] = new System.Text.Json.Nodes.JsonObject { ["team"] = "docs" }));
        contract.AssertValid("/generations", "post", accepted);
        var id = accepted.Json.GetProperty("id").GetString()!;
        contract.AssertValid("/generations/{id}", "get", await harness.GetJobAsync(id));
        await harness.RunQueuesAsync();

        contract.AssertValid("/generations/{id}", "get", await harness.GetJobAsync(id));
        contract.AssertValid("/generations/{id}", "get", await harness.GetJobAsync("no-such-job"));
        contract.AssertValid("/generations/{id}/images/{index}", "get", await harness.GetImageAsync(id, 0));
        contract.AssertValid("/generations/{id}/images/{index}", "get", await harness.GetImageAsync(id, 9));
        contract.AssertValid("/generations/{id}/view", "get", await harness.InvokeAsync("GET", $"/api/generations/{id}/view",
            request => harness.Create<ViewGeneration>().RunAsync(request, id, CancellationToken.None)));

        contract.AssertValid("/generations", "post", await harness.SubmitAsync("""{"model":"doubao-seedream-5-0-260128","size":"2K"}"""));
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = "openapi-" + Guid.NewGuid().ToString("N") };
        await harness.SubmitAsync(TestRequests.Create("first"), key);
        contract.AssertValid("/generations", "post", await harness.SubmitAsync(TestRequests.Create("second"), key));

        var listed = await harness.ListAsync("?pageSize=1");
        Assert.Equal(200, listed.Status);
        contract.AssertValid("/generations", "get", listed);
        contract.AssertValid("/generations", "get", await harness.ListAsync("?pageSize=0&status=x"));

        var landing = await harness.LandingAsync("application/json");
        Assert.Equal("application/json; charset=utf-8", landing.ContentType);
        contract.AssertValid("/", "get", landing);
        contract.AssertValid("/", "get", await harness.LandingAsync("text/html,application/xhtml+xml,*/*;q=0.8"));
    }

    [Fact]
    public async Task A_job_whose_status_a_newer_version_wrote_is_answered_as_unknown_which_the_document_lists()
    {
        await using var harness = fixture.CreateHarness();
        var id = Guid.CreateVersion7().ToString("N");
        await harness.Storage.EnsureCreatedAsync(CancellationToken.None);
        var record = $$$"""
            {"schemaVersion":{{{GenerationJob.CurrentSchemaVersion}}},"id":"{{{id}}}","status":"{{{Processing.JobRecordSchemaTests.FutureStatus}}}","source":"http","createdAt":"2026-11-01T10:00:00+00:00",
             "updatedAt":"2026-11-01T10:00:00+00:00","request":{"model":"{{{TestRequests.Model}}}","prompt":"a lighthouse","size":"1K"},
             "phase":"not_started","generationAttempts":0,"images":[],"failures":[]}
            """;
        await harness.Storage.Jobs.GetBlobClient($"{id}.json").UploadAsync(new BinaryData(System.Text.Encoding.UTF8.GetBytes(record)));

        var answer = await harness.GetJobAsync(id);

        Assert.Equal(200, answer.Status);
        Assert.Equal("unknown", answer.Json.GetProperty("status").GetString());
        Contract().AssertValid("/generations/{id}", "get", answer);
    }

    /// <summary>
    /// <see cref="HttpFailureMiddleware"/> answers a storage outage with a 503 problem on every HTTP route, and a missing
    /// job with a 404 problem on every route that looks a job up (<see cref="JobLookup"/>): the document says so for each.
    /// </summary>
    [Fact]
    public void Every_operation_documents_the_failure_middleware_s_answers()
    {
        var functions = typeof(GetGeneration).Assembly.GetTypes()
            .Where(type => type.GetMethods().Any(method => method.IsDefined(typeof(Microsoft.Azure.Functions.Worker.FunctionAttribute), false)))
            .ToDictionary(type => type.Name, StringComparer.Ordinal);
        var operations = OpenApiDocument.Load()["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(operation => (Path: path.Key, Method: operation.Key, Operation: operation.Value!)))
            .ToList();
        Assert.NotEmpty(operations);
        foreach (var (path, method, operation) in operations)
        {
            var name = (string)operation["operationId"]!;
            var responses = operation["responses"]!;
            Assert.True((string?)responses["503"]?["$ref"] == "#/components/responses/ServiceUnavailable",
                $"{method.ToUpperInvariant()} {path} ({name}) does not document the 503 storage-outage problem.");
            var looksUpJobs = functions[name].GetConstructors().Any(constructor => constructor.GetParameters().Any(parameter => parameter.ParameterType == typeof(JobLookup)));
            if (looksUpJobs)
            {
                Assert.True((string?)responses["404"]?["$ref"] == "#/components/responses/NotFound",
                    $"{method.ToUpperInvariant()} {path} ({name}) looks up a job but does not document the 404 problem.");
            }
        }

        var unavailable = OpenApiDocument.Load()["components"]!["responses"]!["ServiceUnavailable"]!;
        Assert.NotNull(unavailable["headers"]!["Retry-After"]);
        Assert.NotNull(unavailable["content"]!["application/problem+json"]);
    }

    [Fact]
    public void A_body_that_breaks_the_document_is_caught()
    {
        // The checker itself must be able to fail: a listing item with a status the document does not know.
        var contract = Contract();
        var body = """{"items":[{"id":"a","status":"finished","createdAt":"2026-11-29T08:00:00Z","imageCount":0,"statusUrl":"https://x/a","viewUrl":"https://x/a/view"}]}""";
        var response = new HttpResult(200, "application/json", new Microsoft.AspNetCore.Http.HeaderDictionary(), System.Text.Encoding.UTF8.GetBytes(body));

        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => contract.AssertValid("/generations", "get", response));
    }

    private static OpenApiContract Contract() => new(OpenApiDocument.Load());

    /// <summary>The route as an OpenAPI path: constraints dropped, an optional last segment (the landing page's <c>index.html</c>) left out.</summary>
    internal static string OpenApiPathOf(string route)
    {
        var segments = route.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Where(segment => !OptionalParameter().IsMatch(segment))
            .Select(segment => Constraint().Replace(segment, "}"));
        return "/" + string.Join('/', segments);
    }

    internal static List<(string Name, string Route, string Method, string AuthLevel)> HttpFunctionsOfMetadata()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        Assert.True(File.Exists(path), $"{path} is missing: the Functions SDK did not generate it.");
        var functions = new List<(string, string, string, string)>();
        foreach (var function in JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray())
        {
            var trigger = function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("direction").GetString() == "In");
            if (trigger.GetProperty("type").GetString() != "httpTrigger")
            {
                continue;
            }

            foreach (var method in trigger.GetProperty("methods").EnumerateArray())
            {
                functions.Add((function.GetProperty("name").GetString()!, trigger.GetProperty("route").GetString()!, method.GetString()!.ToLowerInvariant(), trigger.GetProperty("authLevel").GetString()!));
            }
        }

        return functions;
    }

    [GeneratedRegex(@"^\{[^}]*\?\}$")]
    private static partial Regex OptionalParameter();

    [GeneratedRegex(@":[^}]*\}")]
    private static partial Regex Constraint();
}

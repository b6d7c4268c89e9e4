using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Seedream.Functions.Tests.Operations;

/// <summary>Calls the operations routes' function classes on a harness's services, as the host would (a path with a query string).</summary>
internal static class OperationsHttp
{
    public static Task<HttpResult> ListAsync(this PipelineHarness harness, string query = "") =>
        harness.InvokeAsync("GET", "/api/generations" + query, request => harness.Create<ListGenerations>().RunAsync(request, CancellationToken.None));

    public static Task<HttpResult> LandingAsync(this PipelineHarness harness, string? accept = null) =>
        harness.InvokeAsync("GET", "/api/", request => harness.Create<GetLandingPage>().RunAsync(request, CancellationToken.None),
            accept is null ? null : new Dictionary<string, string> { ["Accept"] = accept });

    public static Task<HttpResult> OpenApiAsync(this PipelineHarness harness) =>
        harness.InvokeAsync("GET", "/api/openapi.json", request => Task.FromResult(harness.Create<GetOpenApiDocument>().Run(request)));

    public static async Task<HttpResult> InvokeAsync(
        this PipelineHarness harness, string method, string pathAndQuery, Func<HttpRequest, Task<IActionResult>> function, IReadOnlyDictionary<string, string>? headers = null)
    {
        var context = new DefaultHttpContext { RequestServices = harness.Services };
        context.Request.Method = method;
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("pipeline.example");
        var queryStart = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        context.Request.Path = queryStart < 0 ? pathAndQuery : pathAndQuery[..queryStart];
        context.Request.QueryString = queryStart < 0 ? QueryString.Empty : new QueryString(pathAndQuery[queryStart..]);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Request.Headers[name] = value;
        }

        return await HostedFunction.ExecuteAsync(context, () => function(context.Request));
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;

namespace SeedreamEmulator;

/// <summary>Builds the emulator web application; the standalone program and the in-process server both use it.</summary>
public static class EmulatorApplication
{
    private const int MaxReferenceSide = 10_000;

    /// <summary>
    /// Creates the application from command-line <paramref name="args"/> (e.g. <c>--urls</c>, <c>--Emulator:ApiKey=…</c>),
    /// environment variables and appsettings; <paramref name="configure"/> runs last.
    /// </summary>
    public static WebApplication Create(string[] args, Action<EmulatorOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(EmulatorApplication).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });

        var options = new EmulatorOptions();
        builder.Configuration.GetSection(EmulatorOptions.SectionName).Bind(options);
        configure?.Invoke(options);

        // Requests may carry up to 14 data-URI references of up to 30 MB each.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 1L << 30);
        builder.Services.AddSingleton(options);

        // Open streams must not hold up a test's dispose for the default 30 s.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(3));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<FaultQueue>();
        builder.Services.AddSingleton<RequestLog>();
        builder.Services.AddSingleton<EncodedImageCache>();
        builder.Services.AddSingleton<ResultStore>();
        builder.Services.AddSingleton<GenerationRequestValidator>();
        builder.Services.AddSingleton<RateLimiter>();
        builder.Services.AddSingleton<GenerationEndpoint>();
        builder.Services.AddSingleton<ModelsEndpoint>();
        builder.Services.AddSingleton(services => new ReferenceImageDecoder(
            services.GetRequiredService<EmulatorOptions>(),
            services.GetRequiredService<EncodedImageCache>(),
            new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(10) }) { Timeout = TimeSpan.FromSeconds(60) }));

        var app = builder.Build();
        app.UseMiddleware<RequestLogMiddleware>();
        MapGeneration(app);
        MapResults(app);
        MapReferences(app);
        MapControlPlane(app);
        return app;
    }

    private static void MapGeneration(WebApplication app)
    {
        app.MapPost("/api/v3/images/generations", (HttpContext context, GenerationEndpoint endpoint) => endpoint.HandleAsync(context, gatewayRoute: false));
        app.MapPost("/v1/images/generations", (HttpContext context, GenerationEndpoint endpoint) => endpoint.HandleAsync(context, gatewayRoute: true));
        app.MapGet("/api/v3/models", (HttpContext context, ModelsEndpoint endpoint) => endpoint.Handle(context, gatewayRoute: false));
        app.MapGet("/v1/models", (HttpContext context, ModelsEndpoint endpoint) => endpoint.Handle(context, gatewayRoute: true));
    }

    private static void MapResults(WebApplication app) =>
        app.MapGet("/results/{id}/{file}", async (HttpContext context, string id, string file, ResultStore results, EncodedImageCache cache) =>
        {
            var query = context.Request.Query;
            if (!results.Verify(id, file, query["X-Tos-Date"], query["X-Tos-Expires"], query["X-Tos-Signature"]))
            {
                return TosError(StatusCodes.Status403Forbidden, "AccessDenied", "Access Denied", "0003-00000015");
            }

            var dot = file.IndexOf('.', StringComparison.Ordinal);
            if (results.Find(id) is not { } generation
                || dot <= 0
                || !int.TryParse(file.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                || index >= generation.Images.Count
                || generation.Images[index] is not { } key
                || file[(dot + 1)..] != key.Format.Extension())
            {
                return TosError(StatusCodes.Status404NotFound, "NoSuchKey", "The specified key does not exist.", "0017-00000003");
            }

            var bytes = generation.NotAnImageIndexes.Contains(index)
                ? ImageRenderer.NotAnImage
                : await cache.GetAsync(key, context.RequestAborted).ConfigureAwait(false);
            return Results.Bytes(bytes, key.Format.ContentType());
        });

    private static void MapReferences(WebApplication app) =>
        app.MapGet("/references/{file}", async (HttpContext context, string file, int? w, int? h, EncodedImageCache cache) =>
        {
            var dot = file.LastIndexOf('.');
            ImageFormat? format = dot > 0 ? file[(dot + 1)..] switch { "png" => ImageFormat.Png, "jpeg" or "jpg" => ImageFormat.Jpeg, _ => null } : null;
            var (width, height) = (w ?? 1024, h ?? 1024);
            if (format is null || width is < 1 or > MaxReferenceSide || height is < 1 or > MaxReferenceSide)
            {
                return Results.Problem($"Use /references/<name>.png|jpeg?w=<1..{MaxReferenceSide}>&h=<1..{MaxReferenceSide}>.", statusCode: StatusCodes.Status400BadRequest);
            }

            var bytes = await cache.GetAsync(ReferenceImages.Key(file[..dot], width, height, format.Value), context.RequestAborted).ConfigureAwait(false);
            return Results.Bytes(bytes, format.Value.ContentType());
        });

    private static void MapControlPlane(WebApplication app)
    {
        var control = app.MapGroup(RequestLogMiddleware.ControlPlanePrefix);
        control.MapGet("/requests", (RequestLog log) => Results.Json(log.Snapshot()));
        control.MapDelete("/requests", (RequestLog log) =>
        {
            log.Clear();
            return Results.NoContent();
        });
        control.MapGet("/faults", (FaultQueue faults) => Results.Json(faults.Pending.Select(pending => new { fault = pending.Fault, remaining = pending.Remaining })));
        control.MapPost("/faults", Results<NoContent, BadRequest<string>> (FaultRequest request, FaultQueue faults) =>
        {
            try
            {
                faults.Enqueue(request.Fault ?? "", request.Count ?? 1);
                return TypedResults.NoContent();
            }
            catch (Exception exception) when (exception is FormatException or ArgumentException)
            {
                return TypedResults.BadRequest(exception.Message);
            }
        });
        control.MapDelete("/rate-limits", (RateLimiter limiter) =>
        {
            limiter.Reset();
            return Results.NoContent();
        });
        control.MapDelete("/faults", (FaultQueue faults) =>
        {
            faults.Clear();
            return Results.NoContent();
        });
    }

    private static IResult TosError(int status, string code, string message, string ec) =>
        Results.Json(new TosErrorBody(code, message, ec), statusCode: status);

    private sealed record FaultRequest(string? Fault, int? Count);

    private sealed record TosErrorBody(
        [property: System.Text.Json.Serialization.JsonPropertyName("Code")] string Code,
        [property: System.Text.Json.Serialization.JsonPropertyName("Message")] string Message,
        [property: System.Text.Json.Serialization.JsonPropertyName("EC")] string EC);
}

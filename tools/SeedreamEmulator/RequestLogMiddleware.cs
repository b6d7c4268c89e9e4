namespace SeedreamEmulator;

/// <summary>Records every request except the control plane; the status is captured as the headers go out.</summary>
internal sealed class RequestLogMiddleware(RequestDelegate next, RequestLog log)
{
    public const string ControlPlanePrefix = "/_emulator";

    public static RequestLog.Entry? EntryOf(HttpContext context) =>
        context.Items.TryGetValue(typeof(RequestLog.Entry), out var entry) ? entry as RequestLog.Entry : null;

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments(ControlPlanePrefix, StringComparison.OrdinalIgnoreCase))
        {
            return next(context);
        }

        var entry = log.Add(context.Request);
        context.Items[typeof(RequestLog.Entry)] = entry;
        context.Response.OnStarting(() =>
        {
            entry.ResponseStatus = context.Response.StatusCode;
            return Task.CompletedTask;
        });
        return next(context);
    }
}

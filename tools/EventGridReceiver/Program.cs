using EventGridReceiver;

// Standalone local Event Grid topic: dotnet run --project tools/EventGridReceiver -- --urls http://127.0.0.1:5090
var builder = WebApplication.CreateSlimBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    builder.WebHost.UseUrls("http://127.0.0.1:5090");
}

// Only warnings from the framework: the console is for the one-line-per-event log.
builder.Logging.SetMinimumLevel(LogLevel.Warning);

var key = builder.Configuration["Receiver:Key"] is { Length: > 0 } configured ? configured : EventGridReceiverServer.DefaultKey;
var app = builder.Build();
app.MapEventGridReceiver(new ReceivedEvents(), key, Console.Out);

// Callbacks of the pipeline's jobs (a submission's webhook.url): verified with the secret the pipeline signs with.
new WebhookReceiver(builder.Configuration["Receiver:WebhookSecret"] is { Length: > 0 } secret ? secret : WebhookReceiver.LocalSecret).Map(app, Console.Out);
app.Lifetime.ApplicationStarted.Register(() =>
    Console.WriteLine($"Event Grid receiver: {string.Join(", ", app.Urls.Select(url => url.TrimEnd('/') + EventGridReceiverEndpoints.Route))}; callbacks: {WebhookReceiver.Route}/{{name}}"));
app.Run();

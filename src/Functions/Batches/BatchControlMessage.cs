using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seedream.Functions.Batches;

/// <summary>A message of the batch control queue: <c>{"batchId","step","round"}</c>; step <c>fanout</c>, <c>check</c> (recount, repeats), <c>finalize</c> (once) or <c>resume</c> (recount while the fan-out is paused; round = the pause).</summary>
public sealed record BatchControlMessage(
    [property: JsonPropertyName("batchId")] string BatchId,
    [property: JsonPropertyName("step")] string Step,
    [property: JsonPropertyName("round")] int Round)
{
    public const string FanOutStep = "fanout";
    public const string CheckStep = "check";
    public const string FinalizeStep = "finalize";
    public const string ResumeStep = "resume";

    public static string FanOut(string batchId) => new BatchControlMessage(batchId, FanOutStep, 0).ToJson();

    public static string Check(string batchId, int round) => new BatchControlMessage(batchId, CheckStep, round).ToJson();

    public static string Finalize(string batchId) => new BatchControlMessage(batchId, FinalizeStep, 0).ToJson();

    public static string Resume(string batchId, int pause) => new BatchControlMessage(batchId, ResumeStep, pause).ToJson();

    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>False for anything but a message this app wrote (the caller dead-letters it).</summary>
    public static bool TryParse(ReadOnlyMemory<byte> text, out BatchControlMessage message)
    {
        message = null!;
        try
        {
            if (JsonSerializer.Deserialize<BatchControlMessage>(text.Span) is { } parsed && BatchJobIds.IsBatchId(parsed.BatchId)
                && parsed.Step is FanOutStep or CheckStep or FinalizeStep or ResumeStep && parsed.Round >= 0)
            {
                message = parsed;
                return true;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            // Not a control message; the caller dead-letters it.
        }

        return false;
    }
}

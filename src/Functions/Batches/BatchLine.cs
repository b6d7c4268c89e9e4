using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Seedream.Functions.Intake;

namespace Seedream.Functions.Batches;

/// <summary>A line's envelope in the OpenAI batch request format: <c>custom_id</c>, <c>method</c>, <c>url</c> and the Seedream <c>body</c>.</summary>
public sealed class BatchLine
{
    public const string GatewayUrl = "/v1/images/generations";
    public const string ArkUrl = "/api/v3/images/generations";
    public const int MaxCustomIdLength = 512;

    private static readonly string[] Fields = ["custom_id", "method", "url", "body"];

    private BatchLine(int number, string? customId, byte[]? body, IntakeProblems problems)
    {
        Number = number;
        CustomId = customId;
        Body = body;
        Problems = problems;
    }

    public int Number { get; }

    /// <summary>Null when the line has no usable <c>custom_id</c> (then it cannot be matched to a result by id, only by number).</summary>
    public string? CustomId { get; }

    /// <summary>The Seedream request, for the intake; null when the envelope is at fault.</summary>
    public byte[]? Body { get; }

    /// <summary>What is wrong with the envelope; the body's own problems come from the intake, under <c>body.</c>.</summary>
    public IntakeProblems Problems { get; }

    /// <summary>Reads a line's envelope. Problems name the field (<c>custom_id</c>, <c>method</c>, <c>url</c>, <c>body</c>, <c>$</c> for the line).</summary>
    public static BatchLine Parse(BatchInputLine line, int maxDepth)
    {
        ArgumentNullException.ThrowIfNull(line);
        var problems = new IntakeProblems();
        if (line.Content is not { } content)
        {
            problems.Add(IntakeProblems.Root, $"The line has {line.Length} bytes, over the limit of one request; pass large reference images by URL.");
            return new BatchLine(line.Number, null, null, problems);
        }

        // The body is one level below the envelope.
        if (StrictJsonReader.Read(content, maxDepth + 1, problems) is not { } root)
        {
            return new BatchLine(line.Number, null, null, problems);
        }

        string? customId = null;
        if (root["custom_id"] is JsonValue id && id.GetValueKind() == JsonValueKind.String && id.GetValue<string>() is { Length: > 0 and <= MaxCustomIdLength } text
            && !text.Any(char.IsControl))
        {
            customId = text;
        }
        else
        {
            problems.Add("custom_id", $"custom_id must be a string of 1 to {MaxCustomIdLength} characters without control characters, unique in the batch.");
        }

        if (root["method"] is not JsonValue method || method.GetValueKind() != JsonValueKind.String || method.GetValue<string>() != "POST")
        {
            problems.Add("method", "method must be \"POST\".");
        }

        if (root["url"] is not JsonValue url || url.GetValueKind() != JsonValueKind.String || url.GetValue<string>() is not (GatewayUrl or ArkUrl))
        {
            problems.Add("url", $"url must be \"{GatewayUrl}\" (or Ark's \"{ArkUrl}\"); batches run image generations only.");
        }

        byte[]? body = null;
        if (root["body"] is JsonObject request)
        {
            body = Encoding.UTF8.GetBytes(request.ToJsonString());
        }
        else
        {
            problems.Add("body", "body must be a JSON object: a Seedream image generation request.");
        }

        foreach (var (name, _) in root)
        {
            if (!Fields.Contains(name))
            {
                problems.Add(name, $"Unknown field '{LogText.Cut(name, 40)}'; a line holds custom_id, method, url and body.");
            }
        }

        return new BatchLine(line.Number, customId, problems.IsEmpty ? body : null, problems);
    }

    /// <summary>A 128-bit digest of a custom_id: the duplicate check holds 16 bytes per line, whatever the ids' length.</summary>
    public static UInt128 Digest(string customId)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(customId), hash);
        return BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }
}

/// <summary>Job ids of a batch's lines: derived from the batch and the custom_id, so a redone fan-out finds the job it made.</summary>
public static class BatchJobIds
{
    public const string BatchIdPrefix = "batch_";

    public static string NewBatchId() => BatchIdPrefix + Guid.CreateVersion7().ToString("N");

    public static bool IsBatchId(string? id) => id is { Length: 38 } && id.StartsWith(BatchIdPrefix, StringComparison.Ordinal) && id[BatchIdPrefix.Length..].All(char.IsAsciiHexDigitLower);

    /// <summary><c>{batchId}-{24 hex of SHA-256(custom_id)}</c>: 63 characters, inside the job id pattern.</summary>
    public static string For(string batchId, string customId) =>
        $"{JobPrefix(batchId)}{SubmissionIntake.Hash(Encoding.UTF8.GetBytes(customId))[..24]}";

    /// <summary>The prefix every job blob of the batch starts with.</summary>
    public static string JobPrefix(string batchId) => batchId + "-";
}

using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Seedream.Functions.Jobs;
using Seedream.Functions.Submissions;

namespace Seedream.Functions.Batches;

/// <summary>
/// Lines of the output and error files in the OpenAI batch output shape: <c>{id, custom_id, response: {status_code,
/// request_id, body}, error}</c>. The body is an images response (<c>created</c>, <c>data[].url</c>, <c>usage</c>)
/// naming the stored blobs, plus the pipeline's own facts (job id, status, sizes, failures, cost). Each line also carries
/// its input <c>line</c> number.
/// </summary>
public static class BatchResultLines
{
    public const string InvalidRequestCode = "invalid_request";
    public const string DuplicateCustomIdCode = "duplicate_custom_id";
    public const string CancelledCode = "batch_cancelled";
    public const string ExpiredCode = "batch_expired";
    public const string TooManyLinesCode = "too_many_lines";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };

    /// <summary>A line that became no job: refused, a duplicate, over the limit, or not submitted before a cancel or the window's end.</summary>
    public static byte[] LineError(string batchId, int line, string? customId, string code, string message, IReadOnlyDictionary<string, string[]>? fields)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("id", $"batch_req_{batchId}_{line.ToString(CultureInfo.InvariantCulture)}");
            WriteCustomId(writer, customId);
            writer.WriteNumber("line", line);
            writer.WriteNull("response");
            writer.WriteStartObject("error");
            writer.WriteString("code", code);
            writer.WriteString("message", message);
            writer.WriteNumber("line", line);
            if (fields is { Count: > 0 })
            {
                writer.WriteStartObject("fields");
                foreach (var (field, messages) in fields)
                {
                    writer.WriteStartArray(field);
                    foreach (var text in messages)
                    {
                        writer.WriteStringValue(text);
                    }

                    writer.WriteEndArray();
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>True for a job that belongs in the output file (it produced what was asked, in whole or in part).</summary>
    public static bool IsOutput(GenerationJob job) => job?.Status is JobStatus.Succeeded or JobStatus.PartiallySucceeded;

    /// <summary>The line of an ended job: in the output file when <see cref="IsOutput"/>, else in the error file.</summary>
    public static void WriteJob(Utf8JsonWriter writer, GenerationJob job)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(job);
        var batch = job.Batch ?? throw new InvalidOperationException($"Job {job.Id} belongs to no batch.");
        writer.WriteStartObject();
        writer.WriteString("id", $"batch_req_{job.Id}");
        WriteCustomId(writer, batch.CustomId);
        writer.WriteNumber("line", batch.Line);
        var output = IsOutput(job);
        if (output || job.Status == JobStatus.Failed || job.Images.Count > 0)
        {
            writer.WriteStartObject("response");
            writer.WriteNumber("status_code", output || job.Images.Count > 0 ? 200 : job.Error?.SeedreamStatus ?? (job.Error?.Code == SubmissionService.InvalidRequestCode ? 400 : 502));
            writer.WriteString("request_id", job.Answer?.SeedreamRequestId ?? job.Error?.SeedreamRequestId ?? job.Id);
            writer.WritePropertyName("body");
            WriteBody(writer, job);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("response");
        }

        if (output)
        {
            writer.WriteNull("error");
        }
        else
        {
            writer.WriteStartObject("error");
            var (code, message) = job.Status switch
            {
                JobStatus.Cancelled => (CancelledCode, job.Error?.Message ?? "The batch was cancelled before this request finished."),
                JobStatus.Expired => (ExpiredCode, job.Error?.Message ?? "The batch's completion window ended before this request was sent."),
                _ => (job.Error?.Code ?? "failed", job.Error?.Message ?? "The request failed."),
            };
            writer.WriteString("code", code);
            writer.WriteString("message", message);
            writer.WriteNumber("line", batch.Line);
            if (job.Error?.Fields is { Count: > 0 } fields)
            {
                writer.WritePropertyName("fields");
                JsonSerializer.Serialize(writer, fields);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteBody(Utf8JsonWriter writer, GenerationJob job)
    {
        writer.WriteStartObject();
        writer.WriteNumber("created", (job.CompletedAt ?? job.UpdatedAt).ToUnixTimeSeconds());
        writer.WriteString("job_id", job.Id);
        writer.WriteString("status", JobStatusNames.NameOf(job.Status));
        if ((job.Answer?.Model ?? job.Request?.Model) is { } model)
        {
            writer.WriteString("model", model);
        }

        writer.WriteStartArray("data");
        foreach (var image in job.Images.OrderBy(i => i.Index))
        {
            writer.WriteStartObject();
            writer.WriteNumber("index", image.Index);
            writer.WriteString("url", image.BlobUrl.AbsoluteUri);
            writer.WriteString("blob_name", image.BlobName);
            writer.WriteString("content_type", image.ContentType);
            if (image.Size is { } size)
            {
                writer.WriteString("size", size);
            }

            writer.WriteNumber("bytes", image.Bytes);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        if (job.Failures.Count > 0)
        {
            writer.WriteStartArray("failures");
            foreach (var failure in job.Failures)
            {
                writer.WriteStartObject();
                writer.WriteNumber("index", failure.Index);
                writer.WriteString("code", failure.Code);
                writer.WriteString("message", failure.Message);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (job.Usage is { } usage)
        {
            writer.WriteStartObject("usage");
            writer.WriteNumber("generated_images", usage.GeneratedImages);
            writer.WriteNumber("output_tokens", usage.OutputTokens);
            writer.WriteNumber("total_tokens", usage.TotalTokens);
            writer.WriteEndObject();
        }

        if (job.Cost is { } cost)
        {
            writer.WriteStartObject("cost");
            writer.WriteNumber("amount", cost.Amount);
            writer.WriteString("currency", cost.Currency);
            writer.WriteBoolean("estimated", cost.Estimated);
            writer.WriteEndObject();
        }

        if (job.Error is { } error)
        {
            writer.WriteStartObject("error");
            writer.WriteString("code", error.Code);
            writer.WriteString("message", error.Message);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteCustomId(Utf8JsonWriter writer, string? customId)
    {
        if (customId is null)
        {
            writer.WriteNull("custom_id");
        }
        else
        {
            writer.WriteString("custom_id", customId);
        }
    }

    public static JsonWriterOptions JsonOptions => WriterOptions;
}

using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seedream.Functions.Intake;

/// <summary>
/// Binds the Seedream part of a body to the client's <see cref="ImageGenerationRequest"/>, naming every field of the wrong
/// type (the serializer stops at the first one, so a failed bind is retried field by field). What each field takes comes
/// from the type itself (<see cref="RequestFields"/>).
/// </summary>
public static class RequestBinder
{
    /// <summary>The request, or null with a problem per field of the wrong type.</summary>
    public static ImageGenerationRequest? Bind(JsonObject root, IntakeProblems problems)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(problems);
        try
        {
            return root.Deserialize<ImageGenerationRequest>(SeedreamJson.Options);
        }
        catch (Exception e) when (IsBindFailure(e))
        {
            // Find every field at fault, not only the first.
        }

        foreach (var (name, value) in root)
        {
            var single = new JsonObject { [name] = value?.DeepClone() };
            try
            {
                single.Deserialize<ImageGenerationRequest>(SeedreamJson.Options);
            }
            catch (Exception failure) when (IsBindFailure(failure))
            {
                var e = failure as JsonException ?? new JsonException(failure.Message, "$." + name, null, null, failure);
                var field = FieldPath(e.Path, name);
                problems.Add(field, RequestFields.Find(field) is { } expected
                    ? $"The value has the wrong type: {field} must be {expected.Expected}{(e.InnerException is OverflowException or FormatException ? " within range" : string.Empty)}."
                    : $"The value has the wrong type for this field.");
            }
        }

        if (problems.IsEmpty)
        {
            problems.Add(IntakeProblems.Root, "The body is not a valid image generation request.");
        }

        return null;
    }

    /// <summary>What a converter may throw for a value of the wrong shape; anything else is a bug and propagates.</summary>
    private static bool IsBindFailure(Exception e) => e is JsonException or InvalidOperationException or NotSupportedException or FormatException or OverflowException or ArgumentException;

    /// <summary>"$.image[1]" → "image[1]"; a path the serializer did not give falls back to the property.</summary>
    private static string FieldPath(string? jsonPath, string property)
    {
        if (string.IsNullOrEmpty(jsonPath) || jsonPath == "$")
        {
            return property;
        }

        var path = jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');
        // The serializer quotes odd names: $['a.b'].
        return path.StartsWith("['", StringComparison.Ordinal) ? property : path;
    }
}

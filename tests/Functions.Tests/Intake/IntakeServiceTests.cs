using System.Text;
using System.Text.Json.Nodes;
using Seedream.Functions.Intake;

namespace Seedream.Functions.Tests.Intake;

/// <summary>
/// The bad-input catalogue against the intake service itself, for each origin (HTTP, queue, drop): the rules are one,
/// so every case is refused the same way wherever it comes from, naming every field at fault. Real emulator (the model
/// catalog is its <c>/v1/models</c>), real Azurite behind the harness.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class IntakeServiceTests(PipelineFixture fixture)
{
    private static readonly IntakeOrigin[] Origins = [IntakeOrigin.Http, IntakeOrigin.Queue, IntakeOrigin.Drop];

    public static TheoryData<string, IntakeOrigin> Cases()
    {
        var data = new TheoryData<string, IntakeOrigin>();
        foreach (var badCase in BadInputCases.All)
        {
            foreach (var origin in Origins)
            {
                // Cancel-After is an HTTP header; the other entry points have no headers.
                if (badCase.CancelAfter is null || origin == IntakeOrigin.Http)
                {
                    data.Add(badCase.ToString(), origin);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_is_refused_naming_every_field_at_fault(string name, IntakeOrigin origin)
    {
        var badCase = BadInputCases.ByName[name];
        var intake = IntakeKit.Intake(fixture);

        var result = await intake.ReadAsync(badCase.Body, origin, IntakeKit.ContextFor(fixture, origin, badCase.CancelAfter), CancellationToken.None);

        Assert.False(result.IsAccepted, $"{name} ({origin}) was accepted.");
        IntakeKit.NamesEvery(result.Problems.ToDictionary(), badCase.Fields, $"{name} ({origin})");
    }

    /// <summary>Classes about the bytes, the JSON or the pipeline's own fields: rules of the bytes entry alone.</summary>
    private static readonly HashSet<string> BytesOnlyClasses = ["encoding", "size", "syntax", "duplicate", "depth", "surrogate", "types", "deadline"];

    public static TheoryData<string> BindableCases() =>
        [.. BadInputCases.All.Where(c => c.CancelAfter is null && !BytesOnlyClasses.Contains(c.Class)
            && !c.Fields.All(field => field.StartsWith(SubmissionIntake.MetadataField, StringComparison.Ordinal)) && Bound(c.Body) is not null).Select(c => c.ToString())];

    /// <summary>
    /// The typed entry (image drops build their request from metadata) runs the same rules after the JSON and bind steps:
    /// every case whose body binds is refused there for the same fields as through the bytes.
    /// </summary>
    [Theory]
    [MemberData(nameof(BindableCases))]
    public async Task The_typed_entry_refuses_a_bound_request_for_the_same_fields_as_the_bytes(string name)
    {
        var badCase = BadInputCases.ByName[name];
        var intake = IntakeKit.Intake(fixture);
        var context = IntakeKit.ContextFor(fixture, IntakeOrigin.Drop);
        var fromBytes = await intake.ReadAsync(badCase.Body, IntakeOrigin.Drop, context, CancellationToken.None);

        var typed = await intake.CheckAsync(Bound(badCase.Body)!, new Dictionary<string, string>(), context, CancellationToken.None);

        Assert.False(typed.IsAccepted, $"{name} was accepted through the typed entry.");
        Assert.Equal(fromBytes.Problems.Fields.Order(StringComparer.Ordinal), typed.Problems.Fields.Order(StringComparer.Ordinal));
        IntakeKit.NamesEvery(typed.Problems.ToDictionary(), badCase.Fields, name);
    }

    private static ImageGenerationRequest? Bound(byte[] body)
    {
        try
        {
            var root = JsonNode.Parse(body) as JsonObject;
            return root is null ? null : RequestBinder.Bind(root, new IntakeProblems());
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    public static TheoryData<string, IntakeOrigin> GoodCases()
    {
        var data = new TheoryData<string, IntakeOrigin>();
        foreach (var name in new[] { "plain", "utf8-bom", "uppercase-media-type", "jpg-media-type", "escaped-pair", "emoji-raw", "endpoint-id", "deadline", "deadline-offset", "metadata-unicode", "two-real-references" })
        {
            foreach (var origin in Origins)
            {
                data.Add(name, origin);
            }
        }

        return data;
    }

    /// <summary>What a careful caller sends is not refused: the rules are strict, not paranoid.</summary>
    [Theory]
    [MemberData(nameof(GoodCases))]
    public async Task Good_input_is_accepted_with_its_typed_fields(string name, IntakeOrigin origin)
    {
        var png = await IntakeKit.PngAsync(fixture);
        var jpeg = await new HttpClient().GetByteArrayAsync(fixture.Emulator.ReferenceImageUrl("intake-jpeg", 64, 64, "jpeg"));
        var body = name switch
        {
            "plain" => BadInputCases.Json(),
            "utf8-bom" => "\uFEFF" + BadInputCases.Json(),
            "uppercase-media-type" => BadInputCases.Json(r => r["image"] = BadInputCases.DataUri(png, "Image/PNG")),
            "jpg-media-type" => BadInputCases.Json(r => r["image"] = BadInputCases.DataUri(jpeg, "image/jpg")),
            "escaped-pair" => BadInputCases.Json().Replace("a lighthouse at dusk", @"a lighthouse \ud83c\udf05", StringComparison.Ordinal),
            "emoji-raw" => BadInputCases.Json(r => r["prompt"] = "灯塔 🌅 at dusk"),
            "endpoint-id" => BadInputCases.Json(r => r["model"] = "ep-20250101000000-abcde"),
            "deadline" => BadInputCases.Json(r => r["deadline"] = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)),
            "deadline-offset" => BadInputCases.Json(r => r["deadline"] = DateTimeOffset.UtcNow.AddHours(2).ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture)),
            "metadata-unicode" => BadInputCases.Json(r => r["metadata"] = new JsonObject { ["city"] = "東京", ["note"] = "line\nbreak" }),
            _ => BadInputCases.Json(r => r["image"] = new JsonArray(BadInputCases.DataUri(png), BadInputCases.DataUri(jpeg, "image/jpeg"))),
        };

        var result = await IntakeKit.Intake(fixture).ReadAsync(Encoding.UTF8.GetBytes(body), origin, IntakeKit.ContextFor(fixture, origin), CancellationToken.None);

        Assert.True(result.IsAccepted, $"{name} ({origin}): {result.Problems.Summary()}");
        var submission = result.Submission!;
        Assert.DoesNotContain("\"deadline\"", submission.Request.ToJson(), StringComparison.Ordinal);
        if (name == "uppercase-media-type")
        {
            Assert.StartsWith("data:image/png;base64,", submission.Request.Image![0], StringComparison.Ordinal);
        }

        if (name.StartsWith("deadline", StringComparison.Ordinal))
        {
            Assert.NotNull(submission.Deadline);
            Assert.InRange(submission.Deadline!.Value, DateTimeOffset.UtcNow.AddMinutes(50), DateTimeOffset.UtcNow.AddHours(2).AddMinutes(1));
        }

        if (name == "metadata-unicode")
        {
            Assert.Equal("東京", submission.Metadata["city"]);
        }
    }

    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("2m30s", 150_000)]
    [InlineData("1500ms", 1_500)]
    public async Task Cancel_after_sets_the_deadline_and_the_earlier_of_two_wins(string cancelAfter, int milliseconds)
    {
        var before = DateTimeOffset.UtcNow;
        var body = Encoding.UTF8.GetBytes(BadInputCases.Json(r => r["deadline"] = before.AddDays(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture)));

        var result = await IntakeKit.Intake(fixture).ReadAsync(body, IntakeOrigin.Http, new IntakeContext { CancelAfter = cancelAfter }, CancellationToken.None);

        Assert.True(result.IsAccepted, result.Problems.Summary());
        Assert.InRange(result.Submission!.Deadline!.Value, before.AddMilliseconds(milliseconds - 1), DateTimeOffset.UtcNow.AddMilliseconds(milliseconds + 1));
    }

    [Fact]
    public async Task Cancel_after_is_ignored_outside_http_and_deadline_never_reaches_seedream()
    {
        var body = Encoding.UTF8.GetBytes(BadInputCases.Json(r => r["deadline"] = DateTimeOffset.UtcNow.AddHours(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture)));

        var result = await IntakeKit.Intake(fixture).ReadAsync(body, IntakeOrigin.Queue, new IntakeContext { CancelAfter = "garbage" }, CancellationToken.None);

        Assert.True(result.IsAccepted, result.Problems.Summary());
        Assert.DoesNotContain("deadline", result.Submission!.Request.ToJson(), StringComparison.Ordinal);
    }
}

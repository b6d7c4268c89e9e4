using Microsoft.Extensions.Options;

namespace Seedream.Functions.Intake;

/// <summary>
/// Checks every entry of <c>image</c> the same way: data URIs decoded from their first bytes, https URLs against the
/// host policy and then probed for their first bytes; inbox names (drops) were resolved and checked before. At most
/// <see cref="IntakeOptions.ReferenceProbeConcurrency"/> probes run at once, each holding one header buffer.
/// </summary>
public sealed class ReferenceImageChecker
{
    private readonly IntakeOptions _options;
    private readonly ReferenceUrlProbe _probe;

    public ReferenceImageChecker(IOptions<IntakeOptions> options, ReferenceUrlProbe probe)
    {
        _options = options.Value;
        _probe = probe;
    }

    /// <summary>Adds a problem per entry that Seedream would refuse; entries already at fault are skipped.</summary>
    public async Task CheckAsync(ImageGenerationRequest request, IntakeProblems problems, ISet<int> alreadyChecked, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(problems);
        if (request.Image is not { Count: > 0 } images)
        {
            return;
        }

        var model = string.IsNullOrWhiteSpace(request.Model) ? null : request.Model;
        var probes = new List<(string Field, Uri Url)>();
        for (var i = 0; i < images.Count; i++)
        {
            var field = FieldOf(images, i);
            if (problems.Has(field) || alreadyChecked.Contains(i))
            {
                continue;
            }

            var entry = images[i];
            if (DataUriReference.IsDataUri(entry))
            {
                if (DataUriReference.Check(entry, model) is { } problem)
                {
                    problems.Add(field, problem);
                }
            }
            else if (Uri.TryCreate(entry, UriKind.Absolute, out var url))
            {
                if (ReferenceUrlPolicy.Check(url, _options.AllowLoopbackReferences) is { } problem)
                {
                    problems.Add(field, problem);
                }
                else if (_options.ProbeReferenceUrls)
                {
                    probes.Add((field, url));
                }
            }
        }

        if (probes.Count == 0)
        {
            return;
        }

        using var gate = new SemaphoreSlim(_options.ReferenceProbeConcurrency);
        var results = await Task.WhenAll(probes.Select(async probe =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return (probe.Field, Problem: await _probe.CheckAsync(probe.Url, model, cancellationToken).ConfigureAwait(false));
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
        foreach (var (field, problem) in results)
        {
            if (problem is not null)
            {
                problems.Add(field, problem);
            }
        }
    }

    public static string FieldOf(ImageReferences images, int index) => images.IsSingle ? "image" : $"image[{index}]";
}

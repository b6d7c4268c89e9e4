using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using Seedream.Functions.Intake;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Drops;

/// <summary>
/// Drops: <c>image</c> entries that name inbox blobs become what Seedream gets (a read URL or a <c>data:</c> URI) after the
/// same header check as every reference. Names are normalised first (percent-decoding, backslashes, <c>.</c> and
/// <c>..</c> segments, URLs of this storage account) and must stay inside the inbox container: a drop can never
/// reach another job's image or a job record. https URLs and data URIs pass through to the common checks.
/// </summary>
public sealed class InboxReferenceResolver
{
    private readonly InboxStore _inbox;
    private readonly BlobServiceClient _blobService;
    private readonly DropOptions _options;

    public InboxReferenceResolver(InboxStore inbox, BlobServiceClient blobService, IOptions<DropOptions> options)
    {
        _inbox = inbox;
        _blobService = blobService;
        _options = options.Value;
    }

    /// <summary>The strategy for a drop's intake: entries naming inbox blobs resolve beside <paramref name="requestBlobName"/>.</summary>
    public IReferenceResolver Beside(string requestBlobName) => new InboxReferences(this, requestBlobName);

    /// <summary>The entries with inbox names replaced; problems per entry; <paramref name="checkedIndexes"/> gets the entries checked here.</summary>
    public async Task<ImageReferences> ResolveAsync(
        ImageReferences images, string requestBlobName, string? model, IntakeProblems problems, ISet<int> checkedIndexes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(checkedIndexes);
        var resolved = images.ToArray();
        var budget = _options.MaxInlineReferenceBytes;
        for (var i = 0; i < resolved.Length; i++)
        {
            var field = ReferenceImageChecker.FieldOf(images, i);
            var entry = resolved[i];
            if (DataUriReference.IsDataUri(entry))
            {
                continue;
            }

            string? name;
            string? problem;
            if (Uri.TryCreate(entry, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp))
            {
                if (!IsThisAccount(url))
                {
                    continue;
                }

                (name, problem) = InboxNameOf(url);
            }
            else if (string.IsNullOrWhiteSpace(entry))
            {
                (name, problem) = (null, "The image entry is empty.");
            }
            else
            {
                (name, problem) = (entry, null);
            }

            if (problem is not null || name is null)
            {
                problems.Replace(field, problem ?? "The image entry names no blob.");
                checkedIndexes.Add(i);
                continue;
            }

            var (candidates, pathProblem) = CandidateBlobNames(name, requestBlobName);
            if (pathProblem is not null)
            {
                problems.Replace(field, pathProblem);
                checkedIndexes.Add(i);
                continue;
            }

            checkedIndexes.Add(i);
            InboxBlob? blob = null;
            foreach (var candidate in candidates)
            {
                if ((blob = await _inbox.GetAsync(candidate, cancellationToken).ConfigureAwait(false)) is not null)
                {
                    break;
                }
            }

            if (blob is null)
            {
                problems.Replace(field, $"The inbox has no blob named '{string.Join("' or '", candidates.Select(c => LogText.Cut(c, 128)))}'.");
                continue;
            }

            var header = await _inbox.ReadStartAsync(blob, ImageHeader.HeaderBytes, cancellationToken).ConfigureAwait(false);
            if (ReferenceImageRules.NeedsWholeFile(header, blob.Length))
            {
                header = await _inbox.ReadStartAsync(blob, (int)blob.Length, cancellationToken).ConfigureAwait(false);
            }

            if (ReferenceImageRules.Check(header, blob.Length, declaredFormat: null, model) is { } imageProblem)
            {
                problems.Replace(field, $"The inbox blob '{LogText.Cut(blob.Name, 128)}': {imageProblem}");
                continue;
            }

            if (_inbox.UsesDataUris)
            {
                // Inline references travel in the job record and the request body: the drop's total is bounded.
                budget -= blob.Length;
                if (budget < 0)
                {
                    problems.Replace(field, $"The references of this drop exceed {_options.MaxInlineReferenceBytes} bytes in total, the most sent inline as data: URIs (Drops:MaxInlineReferenceBytes); use Drops:ReferenceMode=Url.");
                    continue;
                }
            }

            resolved[i] = await _inbox.CreateReferenceAsync(blob, ImageHeader.Inspect(header)!, cancellationToken).ConfigureAwait(false);
        }

        return images.IsSingle ? new ImageReferences(resolved[0]) : new ImageReferences(resolved);
    }

    /// <summary>
    /// Where a named reference may be: beside the request file (relative to its folder, like paths in a file), then in the
    /// references folder; a leading '/' names a blob from the container's root. Null with a problem when the name leaves the inbox.
    /// </summary>
    public (string[] Candidates, string? Problem) CandidateBlobNames(string entry, string requestBlobName)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(requestBlobName);
        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(entry);
        }
        catch (UriFormatException)
        {
            return ([], "The image entry is not a valid blob name.");
        }

        decoded = decoded.Replace('\\', '/');
        if (decoded.Any(char.IsControl) || decoded.Contains('%', StringComparison.Ordinal) && decoded != entry.Replace('\\', '/'))
        {
            // Double-encoded names (%252e%252e) are not decoded again: refused rather than guessed.
            return ([], "The image entry may not contain control characters or percent-encoding twice over.");
        }

        var fromRoot = decoded.StartsWith('/');
        var folderEnd = requestBlobName.LastIndexOf('/');
        var folder = fromRoot || folderEnd < 0 ? string.Empty : requestBlobName[..(folderEnd + 1)];
        if (Normalise(folder + decoded.TrimStart('/')) is not { } beside)
        {
            return ([], $"The image entry '{LogText.Cut(entry, 128)}' leaves the inbox container; drops may name only blobs inside it (or https URLs).");
        }

        if (fromRoot)
        {
            return ([beside], null);
        }

        var inReferences = Normalise(_options.ReferencesFolder + decoded);
        return inReferences is null || inReferences == beside ? ([beside], null) : ([beside, inReferences], null);
    }

    /// <summary>Resolves '.' and '..' segments; null when the path climbs above the container root or names nothing.</summary>
    private static string? Normalise(string path)
    {
        var segments = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment is "" or ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (segments.Count == 0)
                {
                    return null;
                }

                segments.RemoveAt(segments.Count - 1);
                continue;
            }

            segments.Add(segment);
        }

        return segments.Count == 0 || path.EndsWith('/') ? null : string.Join('/', segments);
    }

    private bool IsThisAccount(Uri url) =>
        string.Equals(url.Host, _blobService.Uri.Host, StringComparison.OrdinalIgnoreCase) && url.Port == _blobService.Uri.Port;

    /// <summary>A URL of this storage account may name only an inbox blob; it is then used like the bare name.</summary>
    private (string? Name, string? Problem) InboxNameOf(Uri url)
    {
        var blob = new BlobUriBuilder(url);
        if (!string.Equals(blob.BlobContainerName, _inbox.Container.Name, StringComparison.Ordinal) || string.IsNullOrEmpty(blob.BlobName))
        {
            return (null, $"The URL names container '{LogText.Cut(blob.BlobContainerName, 64)}' of the pipeline's storage account; drops may name only blobs of the inbox.");
        }

        return ("/" + blob.BlobName, null);
    }

    private sealed class InboxReferences(InboxReferenceResolver resolver, string requestBlobName) : IReferenceResolver
    {
        public Task<ImageReferences> ResolveAsync(ImageReferences images, string? model, IntakeProblems problems, ISet<int> checkedIndexes, CancellationToken cancellationToken) =>
            resolver.ResolveAsync(images, requestBlobName, model, problems, checkedIndexes, cancellationToken);
    }
}

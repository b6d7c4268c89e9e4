using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Drops;

/// <summary>A blob of the inbox: its properties when it was read.</summary>
public sealed record InboxBlob(string Name, long Length, string? ContentType, ETag ETag, IReadOnlyDictionary<string, string> Metadata);

/// <summary>The drop inbox container: reads dropped blobs, hands them to Seedream as references and marks them with their job.</summary>
public class InboxStore
{
    /// <summary>Metadata names the pipeline writes onto dropped blobs.</summary>
    public const string JobIdKey = "seedream_job_id";
    public const string StatusKey = "seedream_status";
    public const string ErrorCodeKey = "seedream_error_code";
    public const string ErrorKey = "seedream_error";

    private const string QueuedStatus = "queued";
    private const int MaxMarkValueLength = 1024;
    private const int MaxMarkAttempts = 5;

    private readonly BlobServiceClient _blobService;
    private readonly DropOptions _options;
    private readonly BlobSasIssuer _sas;

    public InboxStore(BlobServiceClient blobService, IOptions<DropStorageOptions> names, IOptions<DropOptions> options, BlobSasIssuer sas)
    {
        _blobService = blobService;
        Container = blobService.GetBlobContainerClient(names.Value.InboxContainer);
        _options = options.Value;
        _sas = sas;
    }

    public BlobContainerClient Container { get; }

    /// <summary>True when references go to Seedream inline: configured so, or the account is not reachable from the internet.</summary>
    public bool UsesDataUris => _options.ReferenceMode switch
    {
        DropReferenceMode.DataUri => true,
        DropReferenceMode.Url => false,
        _ => IsPrivateEndpoint(_blobService.Uri),
    };

    /// <summary>The blob's properties; null when it does not exist.</summary>
    public virtual async Task<InboxBlob?> GetAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var properties = (await Container.GetBlobClient(name).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            return new InboxBlob(name, properties.ContentLength, properties.ContentType, properties.ETag, properties.Metadata.AsReadOnly());
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Up to <paramref name="count"/> bytes from the start of the blob version <paramref name="blob"/>.</summary>
    public virtual async Task<byte[]> ReadStartAsync(InboxBlob blob, int count, CancellationToken cancellationToken)
    {
        var length = (int)Math.Min(count, blob.Length);
        if (length == 0)
        {
            return [];
        }

        var content = await Container.GetBlobClient(blob.Name).DownloadContentAsync(new BlobDownloadOptions
        {
            Range = new HttpRange(0, length),
            Conditions = new BlobRequestConditions { IfMatch = blob.ETag },
        }, cancellationToken).ConfigureAwait(false);
        return content.Value.Content.ToArray();
    }

    /// <summary>The whole blob version <paramref name="blob"/>; callers check its length against their limit first.</summary>
    public virtual async Task<BinaryData> ReadAllAsync(InboxBlob blob, CancellationToken cancellationToken)
    {
        var content = await Container.GetBlobClient(blob.Name).DownloadContentAsync(new BlobDownloadOptions
        {
            Conditions = new BlobRequestConditions { IfMatch = blob.ETag },
        }, cancellationToken).ConfigureAwait(false);
        return content.Value.Content;
    }

    /// <summary>The blob version <paramref name="blob"/> as a stream (a batch file is far too large to hold).</summary>
    public virtual Task<Stream> OpenReadAsync(InboxBlob blob, CancellationToken cancellationToken) =>
        Container.GetBlobClient(blob.Name).OpenReadAsync(new BlobOpenReadOptions(allowModifications: false)
        {
            Conditions = new BlobRequestConditions { IfMatch = blob.ETag },
        }, cancellationToken);

    /// <summary>What Seedream gets for the blob: a short-lived read URL, or a <c>data:</c> URI (<see cref="UsesDataUris"/>).</summary>
    public virtual async Task<string> CreateReferenceAsync(InboxBlob blob, ImageHeader image, CancellationToken cancellationToken)
    {
        if (UsesDataUris)
        {
            return await ReadDataUriAsync(blob, image, cancellationToken).ConfigureAwait(false);
        }

        var url = await _sas.GetReadUrlAsync(Container.GetBlobClient(blob.Name), _options.ReferenceUrlLifetime, cancellationToken).ConfigureAwait(false);
        return url.Url.AbsoluteUri;
    }

    /// <summary>
    /// Merges <paramref name="marks"/> of job <paramref name="jobId"/> into the blob's metadata (null values remove a mark),
    /// keeping the owner's own entries; a blob already marked with that job's outcome is not set back to queued.
    /// Values are made ASCII-safe, as metadata travels in HTTP headers. False when the blob no longer exists.
    /// </summary>
    public virtual async Task<bool> MarkAsync(string name, string jobId, IReadOnlyDictionary<string, string?> marks, CancellationToken cancellationToken)
    {
        var client = Container.GetBlobClient(name);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var properties = (await client.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
                var metadata = new Dictionary<string, string>(properties.Metadata, StringComparer.OrdinalIgnoreCase);
                if (metadata.GetValueOrDefault(JobIdKey) == jobId && metadata.GetValueOrDefault(StatusKey) is { } status && status != QueuedStatus
                    && marks.GetValueOrDefault(StatusKey) == QueuedStatus)
                {
                    return true;
                }

                foreach (var (key, value) in marks)
                {
                    if (value is null)
                    {
                        metadata.Remove(key);
                    }
                    else
                    {
                        metadata[key] = AsciiSafe(value);
                    }
                }

                if (metadata.Count == properties.Metadata.Count && metadata.All(m => properties.Metadata.TryGetValue(m.Key, out var current) && current == m.Value))
                {
                    // Already marked so: a write would only change the ETag under concurrent readers.
                    return true;
                }

                await client.SetMetadataAsync(metadata, new BlobRequestConditions { IfMatch = properties.ETag }, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return false;
            }
            catch (RequestFailedException e) when (e.Status == 412 && attempt < MaxMarkAttempts)
            {
                // Someone changed the blob between our read and write: merge into the new version.
            }
        }
    }

    /// <summary>Printable ASCII stays; anything else (non-Latin prompts in messages, line breaks) is percent-encoded; long values are cut.</summary>
    public static string AsciiSafe(string value)
    {
        var safe = value.All(c => c is >= ' ' and <= '~') ? value : Uri.EscapeDataString(value);
        return safe.Length <= MaxMarkValueLength ? safe : safe[..(MaxMarkValueLength - 3)] + "...";
    }

    private async Task<string> ReadDataUriAsync(InboxBlob blob, ImageHeader image, CancellationToken cancellationToken)
    {
        var prefix = $"data:{image.ContentType};base64,";
        var result = new char[prefix.Length + (int)((blob.Length + 2) / 3 * 4)];
        prefix.CopyTo(result);
        var written = prefix.Length;
        var response = await Container.GetBlobClient(blob.Name).DownloadStreamingAsync(new BlobDownloadOptions
        {
            Conditions = new BlobRequestConditions { IfMatch = blob.ETag },
        }, cancellationToken).ConfigureAwait(false);
        await using var content = response.Value.Content;

        // Encode as the bytes arrive (multiples of three bytes per step), so only the resulting string is held in full.
        var buffer = ArrayPool<byte>.Shared.Rent(3 * 64 * 1024);
        try
        {
            var pending = 0;
            while (true)
            {
                var read = await content.ReadAsync(buffer.AsMemory(pending, buffer.Length - pending), cancellationToken).ConfigureAwait(false);
                pending += read;
                var whole = read == 0 ? pending : pending - (pending % 3);
                if (whole > 0)
                {
                    if (written + ((whole + 2) / 3 * 4) > result.Length)
                    {
                        throw new InvalidOperationException($"Blob {blob.Name} grew while it was read.");
                    }

                    Convert.TryToBase64Chars(buffer.AsSpan(0, whole), result.AsSpan(written), out var chars);
                    written += chars;
                    buffer.AsSpan(whole, pending - whole).CopyTo(buffer);
                    pending -= whole;
                }

                if (read == 0)
                {
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return new string(result, 0, written);
    }

    private static bool IsPrivateEndpoint(Uri endpoint)
    {
        if (endpoint.IsLoopback)
        {
            return true;
        }

        if (!IPAddress.TryParse(endpoint.Host, out var address))
        {
            return endpoint.Host.EndsWith(".local", StringComparison.OrdinalIgnoreCase) || !endpoint.Host.Contains('.', StringComparison.Ordinal);
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal;
        }

        var bytes = address.GetAddressBytes();
        return bytes[0] == 10 || (bytes[0] == 172 && bytes[1] is >= 16 and <= 31) || (bytes[0] == 192 && bytes[1] == 168) || (bytes[0] == 169 && bytes[1] == 254);
    }
}

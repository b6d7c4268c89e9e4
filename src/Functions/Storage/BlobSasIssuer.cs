using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;

namespace Seedream.Functions.Storage;

/// <summary>
/// Read-only SAS URLs for single blobs (stored images, inbox references): signed with the account key when the client
/// has one (Azurite, connection strings), else with a user delegation key (managed identity), fetched once a day and shared.
/// </summary>
public class BlobSasIssuer
{
    private readonly BlobServiceClient _blobService;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _delegationKeyLock = new(1, 1);
    private UserDelegationKey? _delegationKey;

    public BlobSasIssuer(BlobServiceClient blobService, TimeProvider time)
    {
        _blobService = blobService;
        _time = time;
    }

    /// <summary>A URL that reads <paramref name="blob"/> for <paramref name="lifetime"/> from now.</summary>
    public virtual async Task<ReadUrl> GetReadUrlAsync(BlobClient blob, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var expiresOn = _time.GetUtcNow() + lifetime;
        var sas = new BlobSasBuilder(BlobSasPermissions.Read, expiresOn)
        {
            BlobContainerName = blob.BlobContainerName,
            BlobName = blob.Name,
            Resource = "b",
        };
        if (blob.CanGenerateSasUri)
        {
            return new ReadUrl(blob.GenerateSasUri(sas), expiresOn);
        }

        var key = await GetDelegationKeyAsync(expiresOn, cancellationToken).ConfigureAwait(false);
        var uri = new BlobUriBuilder(blob.Uri) { Sas = sas.ToSasQueryParameters(key, _blobService.AccountName) };
        return new ReadUrl(uri.ToUri(), expiresOn);
    }

    private async Task<UserDelegationKey> GetDelegationKeyAsync(DateTimeOffset neededUntil, CancellationToken cancellationToken)
    {
        await _delegationKeyLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_delegationKey is null || _delegationKey.SignedExpiresOn < neededUntil)
            {
                var now = _time.GetUtcNow();
                // A key lasts up to seven days; one per day covers every URL handed out that day.
                var response = await _blobService.GetUserDelegationKeyAsync(now.AddMinutes(-5), neededUntil.AddDays(1), cancellationToken).ConfigureAwait(false);
                _delegationKey = response.Value;
            }

            return _delegationKey;
        }
        finally
        {
            _delegationKeyLock.Release();
        }
    }
}

using System.Collections.Concurrent;
using System.Security.Cryptography;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Seedream.Functions.Configuration;
using Seedream.Functions.Storage;

namespace Seedream.Functions.Tests;

/// <summary>
/// The store step reads format and pixel size from the bytes when Seedream did not report them (yet), and streams
/// images in blocks that each carry an MD5 the service checks.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ImageStoreTests(PipelineFixture fixture)
{
    [Theory]
    [InlineData("png", "image/png")]
    [InlineData("jpeg", "image/jpeg")]
    public async Task Format_and_size_come_from_the_image_header_when_not_reported(string format, string contentType)
    {
        await using var harness = fixture.CreateHarness();
        using var http = new HttpClient();
        var bytes = await http.GetByteArrayAsync(fixture.Emulator.ReferenceImageUrl("header", 320, 208, format));
        var store = harness.Services.GetRequiredService<ImageStore>();

        var stored = await store.UploadAsync("header-job", 0, new MemoryStream(bytes), "application/octet-stream", "doubao-seedream-4-0-250828",
            width: null, height: null, new Dictionary<string, string>(), CancellationToken.None);

        Assert.Equal(contentType, stored.ContentType);
        Assert.Equal((320, 208), (stored.Width, stored.Height));
        Assert.Equal(bytes.LongLength, stored.Bytes);
        var blob = harness.Storage.Images.GetBlobClient(stored.BlobName);
        var properties = (await blob.GetPropertiesAsync()).Value;
        Assert.Equal(contentType, properties.ContentType);
        Assert.Equal("320x208", properties.Metadata["seedream_size"]);
        Assert.Equal(bytes, (await blob.DownloadContentAsync()).Value.Content.ToArray());
    }

    [Fact]
    public async Task A_streamed_image_goes_up_in_blocks_each_with_the_MD5_of_its_bytes()
    {
        const int blockBytes = 1024 * 1024;
        var bytes = NoisePng(3 * blockBytes + 12345);
        var (store, container, requests) = CreateRecordingStore(blockBytes, concurrency: 2);

        var stored = await store.UploadAsync("md5-job", 0, new NonSeekableStream(bytes), "application/octet-stream", model: null,
            width: null, height: null, new Dictionary<string, string>(), CancellationToken.None);

        Assert.Equal(bytes.LongLength, stored.Bytes);
        var blob = container.GetBlockBlobClient(stored.BlobName);
        Assert.Equal(bytes, (await blob.DownloadContentAsync()).Value.Content.ToArray());
        var blocks = (await blob.GetBlockListAsync(BlockListTypes.Committed)).Value.CommittedBlocks.ToList();
        Assert.Equal(4, blocks.Count);
        var offset = 0;
        foreach (var block in blocks)
        {
            // Each Put Block carried the MD5 of exactly the bytes that block holds (Azurite rejects a wrong one).
            Assert.True(requests.TryGetValue(block.Name, out var sentMd5), $"No Put Block was recorded for block {block.Name}.");
            Assert.Equal(Convert.ToBase64String(MD5.HashData(bytes.AsSpan(offset, block.Size))), sentMd5);
            offset += block.Size;
        }

        Assert.Equal(bytes.Length, offset);
    }

    [Fact]
    public async Task An_image_within_one_block_goes_up_in_one_request_and_keeps_its_MD5()
    {
        var bytes = NoisePng(200 * 1024);
        var (store, container, requests) = CreateRecordingStore(blockBytes: 1024 * 1024, concurrency: 2);

        var stored = await store.UploadAsync("md5-job", 1, new NonSeekableStream(bytes), "application/octet-stream", model: null,
            width: null, height: null, new Dictionary<string, string>(), CancellationToken.None);

        Assert.Empty(requests);
        var properties = (await container.GetBlobClient(stored.BlobName).GetPropertiesAsync()).Value;
        Assert.Equal(MD5.HashData(bytes), properties.ContentHash);
        Assert.Equal("image/png", properties.ContentType);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Blocks_are_sent_while_the_next_is_read_never_more_than_the_concurrency_at_once(int concurrency)
    {
        const int blockBytes = 1024 * 1024;
        var bytes = NoisePng(6 * blockBytes + 1);
        var inFlight = new InFlightCounter();
        var (store, container) = CreateStore(blockBytes, concurrency, inFlight);

        var upload = store.UploadAsync("overlap-job", 0, new NonSeekableStream(bytes), "application/octet-stream", model: null,
            width: null, height: null, new Dictionary<string, string>(), CancellationToken.None);

        // Every Put Block is held until the test lets go: the blocks read meanwhile pile up to the bound (an event, however
        // slow the machine), and a store that ignored the bound would send another within the next moment. A slow machine
        // can only hide such a store here, never fail a correct one.
        await inFlight.WaitUntilInFlightAsync(concurrency).WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var heldAtOnce = inFlight.Current;
        inFlight.ReleaseAll();
        var stored = await upload;

        Assert.Equal(concurrency, heldAtOnce);
        Assert.Equal(bytes, (await container.GetBlobClient(stored.BlobName).DownloadContentAsync()).Value.Content.ToArray());
        Assert.Equal(7, inFlight.PutBlocks);
        Assert.Equal(concurrency, inFlight.Max);
    }

    [Fact]
    public async Task A_source_that_fails_midway_fails_the_upload_and_commits_nothing()
    {
        const int blockBytes = 1024 * 1024;
        var bytes = NoisePng(4 * blockBytes);
        var (store, container, requests) = CreateRecordingStore(blockBytes, concurrency: 2);

        var failure = await Assert.ThrowsAsync<IOException>(() => store.UploadAsync("md5-job", 2,
            new FailingStream(bytes, failAfter: (5 * blockBytes) / 2), "application/octet-stream", model: null,
            width: null, height: null, new Dictionary<string, string>(), CancellationToken.None));

        Assert.Equal("The source broke off.", failure.Message);
        Assert.Equal(2, requests.Count);
        Assert.False(await container.GetBlobClient(ImageStore.BlobName("md5-job", 2, "image/png")).ExistsAsync());
    }

    /// <summary>An ImageStore on its own container whose client records the Content-MD5 of every Put Block by block id.</summary>
    private (ImageStore Store, BlobContainerClient Container, ConcurrentDictionary<string, string?> PutBlockMd5) CreateRecordingStore(int blockBytes, int concurrency)
    {
        var requests = new ConcurrentDictionary<string, string?>();
        var (store, container) = CreateStore(blockBytes, concurrency, new PutBlockRecorder(requests));
        return (store, container, requests);
    }

    /// <summary>An ImageStore on its own container whose blob client runs <paramref name="policy"/> on every request.</summary>
    private (ImageStore Store, BlobContainerClient Container) CreateStore(int blockBytes, int concurrency, HttpPipelinePolicy policy)
    {
        var clientOptions = new BlobClientOptions();
        clientOptions.AddPolicy(policy, HttpPipelinePosition.PerRetry);
        var storage = new PipelineStorage(
            new BlobServiceClient(fixture.Azurite.ConnectionString, clientOptions),
            new QueueServiceClient(fixture.Azurite.ConnectionString),
            Options.Create(new PipelineStorageOptions { ImagesContainer = $"upload-{Guid.NewGuid():n}" }));
        var store = new ImageStore(storage, Options.Create(new PipelineOptions { UploadBlockBytes = blockBytes, UploadConcurrency = concurrency }), TimeProvider.System);
        return (store, storage.Images);
    }

    /// <summary>A PNG signature followed by noise: a format the store recognises, content nothing compresses.</summary>
    private static byte[] NoisePng(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        signature.CopyTo(bytes, 0);
        return bytes;
    }

    private sealed class PutBlockRecorder(ConcurrentDictionary<string, string?> requests) : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            var query = System.Web.HttpUtility.ParseQueryString(message.Request.Uri.Query);
            if (query["comp"] == "block" && query["blockid"] is { } blockId)
            {
                requests[blockId] = message.Request.Headers.TryGetValue("Content-MD5", out var md5) ? md5 : null;
            }
        }
    }

    /// <summary>Holds every Put Block until <see cref="ReleaseAll"/> and records how many were in flight at once.</summary>
    private sealed class InFlightCounter : HttpPipelinePolicy
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly object _gate = new();
        private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
        private int _current;
        private int _max;
        private int _putBlocks;

        public int Max => Volatile.Read(ref _max);

        public int Current => Volatile.Read(ref _current);

        /// <summary>Completes once <paramref name="count"/> Put Blocks are held at the same time.</summary>
        public Task WaitUntilInFlightAsync(int count)
        {
            lock (_gate)
            {
                if (_current >= count)
                {
                    return Task.CompletedTask;
                }

                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, reached));
                return reached.Task;
            }
        }

        public void ReleaseAll() => _released.TrySetResult();

        public int PutBlocks => Volatile.Read(ref _putBlocks);

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            throw new NotSupportedException("The store uploads asynchronously.");

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            if (!message.Request.Uri.Query.Contains("comp=block&", StringComparison.Ordinal))
            {
                await ProcessNextAsync(message, pipeline);
                return;
            }

            Interlocked.Increment(ref _putBlocks);
            lock (_gate)
            {
                var current = ++_current;
                _max = Math.Max(_max, current);
                foreach (var waiter in _waiters.Where(w => current >= w.Count).ToList())
                {
                    waiter.Reached.TrySetResult();
                    _waiters.Remove(waiter);
                }
            }

            try
            {
                await _released.Task;
                await ProcessNextAsync(message, pipeline);
            }
            finally
            {
                lock (_gate)
                {
                    _current--;
                }
            }
        }
    }

    /// <summary>A source that throws once <c>failAfter</c> bytes were read, like a response that breaks off.</summary>
    private sealed class FailingStream(byte[] bytes, int failAfter) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var remaining = failAfter - (int)Position;
            if (remaining <= 0)
            {
                throw new IOException("The source broke off.");
            }

            return base.ReadAsync(buffer[..Math.Min(buffer.Length, remaining)], cancellationToken);
        }
    }

    /// <summary>A source of unknown length, like a decoding or downloading stream.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;
    }
}

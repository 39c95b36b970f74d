using System.Net;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// 1 GiB each way through the ingress as its own process, whose memory is read from /proc: bodies must stream,
/// never be buffered.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class LargeBodyMemoryTests : IAsyncLifetime
{
    private const long OneGiB = 1L << 30;
    private const long AllowedGrowth = 64L << 20;

    private BackendAndManifest _sandbox = null!;
    private IngressProcess _ingress = null!;
    private HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _sandbox = await BackendAndManifest.StartAsync("big");
        _ingress = await _sandbox.StartIngressAsync("--log-level", "warn");
        _client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_ingress.Port}"), Timeout = TimeSpan.FromMinutes(2) };
        _client.DefaultRequestHeaders.TryAddWithoutValidation(IngressHeaders.IngressTo, _sandbox.RoutingKey);
        using var warmUp = await _client.GetAsync("/warm-up");
        Assert.Equal(HttpStatusCode.OK, warmUp.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _ingress.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task A_1_GiB_download_streams_with_flat_memory()
    {
        var (before, _) = _ingress.Memory();

        using var response = await _client.GetAsync($"/download?bytes={OneGiB}", HttpCompletionOption.ResponseHeadersRead,
            TestContext.Current.CancellationToken);
        var received = await CountAsync(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));

        var (_, peak) = _ingress.Memory();
        Assert.Equal(OneGiB, received);
        TestContext.Current.TestOutputHelper!.WriteLine($"download: RSS before {before >> 20} MiB, peak {peak >> 20} MiB");
        Assert.True(peak - before < AllowedGrowth, $"RSS grew by {(peak - before) >> 20} MiB");
    }

    [Fact]
    public async Task A_1_GiB_upload_streams_with_flat_memory()
    {
        var (before, _) = _ingress.Memory();

        using var content = new StreamContent(new ZeroStream(OneGiB));
        using var response = await _client.PostAsync("/upload", content, TestContext.Current.CancellationToken);

        var (_, peak) = _ingress.Memory();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(OneGiB.ToString(System.Globalization.CultureInfo.InvariantCulture), await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        TestContext.Current.TestOutputHelper!.WriteLine($"upload: RSS before {before >> 20} MiB, peak {peak >> 20} MiB");
        Assert.True(peak - before < AllowedGrowth, $"RSS grew by {(peak - before) >> 20} MiB");
    }

    private static async Task<long> CountAsync(Stream stream)
    {
        var buffer = new byte[128 * 1024];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken)) > 0)
        {
            total += read;
        }

        return total;
    }

    /// <summary>A body of <c>length</c> zero bytes, produced as it is read, with no length known up front (chunked).</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long _remaining = length;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, _remaining);
            Array.Clear(buffer, offset, n);
            _remaining -= n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

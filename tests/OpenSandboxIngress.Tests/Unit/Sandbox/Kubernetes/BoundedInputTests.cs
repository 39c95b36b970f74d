using System.Text;
using OpenSandbox.Ingress.Sandbox.Kubernetes;

namespace OpenSandbox.Ingress.Tests.Unit.Sandbox.Kubernetes;

/// <summary>
/// The watch line reader and the list page reader over streams that hold one object far over the cap: it is skipped
/// with its size (and name when the kept bytes show it), what follows is read, and the bytes allocated stay near the
/// cap instead of growing with the object.
/// </summary>
public sealed class BoundedInputTests
{
    private const int Cap = 1024 * 1024;
    private const int Huge = 20 * 1024 * 1024;

    /// <summary>A stream that produces its bytes in small reads and completes synchronously, as a socket's buffer does.</summary>
    private sealed class ChunkedStream(Func<long, byte> byteAt, long length) : Stream
    {
        private long _position;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(Math.Min(buffer.Length, 16 * 1024), length - _position);
            for (var i = 0; i < n; i++)
            {
                buffer[i] = byteAt(_position + i);
            }

            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary><paramref name="head"/>, then <paramref name="padding"/> bytes of 'x', then <paramref name="tail"/>.</summary>
    private static ChunkedStream Padded(string head, long padding, string tail)
    {
        var (h, t) = (Encoding.UTF8.GetBytes(head), Encoding.UTF8.GetBytes(tail));
        return new ChunkedStream(i => i < h.Length ? h[i] : i < h.Length + padding ? (byte)'x' : t[i - h.Length - padding], h.Length + padding + t.Length);
    }

    [Fact]
    public async Task A_watch_line_over_the_cap_is_counted_and_skipped_and_the_next_line_is_read()
    {
        const string head = """{"type":"MODIFIED","object":{"metadata":{"name":"huge-one"},"spec":{"blob":" """;
        const string tail = "\"}}}\n{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"small\"}}}\n";
        using var reader = new BoundedLineReader(Padded(head, Huge, tail), Cap);
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        var big = (await reader.ReadLineAsync(TestContext.Current.CancellationToken))!.Value;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.True(big.IsOversized);
        Assert.Equal(head.Length + Huge + 4, big.OversizedLength);
        Assert.Equal("huge-one", ResourceNameProbe.Find(big.Bytes.Span, metadataDepth: 2));
        Assert.True(allocated < 5 * Cap, $"{allocated} bytes allocated to skip a {Huge}-byte line");

        var next = (await reader.ReadLineAsync(TestContext.Current.CancellationToken))!.Value;
        Assert.False(next.IsOversized);
        var parsed = WatchEventParser.Parse(next.Bytes.Span);
        Assert.Equal(("ADDED", "small"), (parsed.Type, parsed.Object?.Metadata?.Name));
        Assert.Null(await reader.ReadLineAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Lines_under_the_cap_are_returned_whole_across_reads()
    {
        var lines = Enumerable.Range(0, 40).Select(i => new string((char)('a' + i % 26), i * 5000)).ToList();
        var bytes = Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
        using var reader = new BoundedLineReader(new ChunkedStream(i => bytes[i], bytes.Length), Cap);

        foreach (var expected in lines)
        {
            var line = (await reader.ReadLineAsync(TestContext.Current.CancellationToken))!.Value;
            Assert.False(line.IsOversized);
            Assert.Equal(expected, Encoding.UTF8.GetString(line.Bytes.Span));
        }

        Assert.Null(await reader.ReadLineAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_list_item_over_the_cap_is_skipped_and_the_items_around_it_are_parsed()
    {
        // Braces, brackets, quotes and escapes inside strings must not end an item early.
        const string head = """
            {"kind":"BatchSandboxList","apiVersion":"sandbox.opensandbox.io/v1alpha1","metadata":{"resourceVersion":"42","continue":"next"},
             "items":[ {"kind":"BatchSandbox","metadata":{"name":"before","annotations":{"note":"} ] { [ \" \\"}}},
                       {"kind":"BatchSandbox","metadata":{"name":"huge-item"},"spec":{"blob":"
            """;
        const string tail = """
            "}},
                       {"kind":"BatchSandbox","metadata":{"name":"broken"},"status":{"ready":"not a number"}},
                       {"kind":"BatchSandbox","metadata":{"name":"after"},"status":{"ready":1}} ]}
            """;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        var page = await ListPageReader.ReadAsync(Padded(head, Huge, tail), Cap, TestContext.Current.CancellationToken);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.Equal(["before", "after"], page.Items.Select(i => i.Metadata?.Name));
        Assert.Equal(1, page.Items[1].Status?.Ready);
        Assert.Single(page.Malformed);
        var oversized = Assert.Single(page.Oversized);
        Assert.Equal("huge-item", oversized.Name);
        Assert.True(oversized.Bytes > Huge);
        Assert.Equal(("42", "next"), (page.Metadata?.ResourceVersion, page.Metadata?.Continue));
        Assert.True(allocated < 5 * Cap, $"{allocated} bytes allocated to skip a {Huge}-byte item");
    }

    [Fact]
    public async Task A_list_response_cut_short_is_an_error_not_a_shorter_list()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"a"}},""");

        await Assert.ThrowsAnyAsync<System.Text.Json.JsonException>(() =>
            ListPageReader.ReadAsync(new ChunkedStream(i => bytes[i], bytes.Length), Cap, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("""{"items":[{}}""")]
    [InlineData("""{"items":[1 }""")]
    [InlineData("""{"items":[}""")]
    [InlineData("""{"metadata":}""")]
    public async Task A_list_response_with_a_stray_closing_byte_is_an_error_not_an_endless_loop(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);

        var read = ListPageReader.ReadAsync(new ChunkedStream(i => bytes[i], bytes.Length), Cap, TestContext.Current.CancellationToken);

        await Assert.ThrowsAsync<System.Text.Json.JsonException>(() => read.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_line_one_byte_over_the_cap_whose_end_arrives_in_the_same_read_is_still_oversized()
    {
        const int cap = 100;
        var line = new string('x', cap + 1) + "\n" + "small\n";
        var bytes = Encoding.ASCII.GetBytes(line);
        using var reader = new BoundedLineReader(new ChunkedStream(i => bytes[i], bytes.Length), cap);

        var over = (await reader.ReadLineAsync(TestContext.Current.CancellationToken))!.Value;
        var next = (await reader.ReadLineAsync(TestContext.Current.CancellationToken))!.Value;

        Assert.Equal((true, cap + 1L, cap), (over.IsOversized, over.OversizedLength, over.Bytes.Length));
        Assert.Equal("small", Encoding.ASCII.GetString(next.Bytes.Span));
    }

    [Fact]
    public void Only_the_routing_annotations_are_kept()
    {
        var resource = WatchEventParser.Parse(Encoding.UTF8.GetBytes("""
            {"object":{"metadata":{"name":"n","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"big\":1}",
             "sandbox.opensandbox.io/endpoints":"[\"10.0.0.1\"]","opensandbox.io/secure-access-token":" t "}}},"type":"ADDED"}
            """)).Object!;

        Assert.Equal("[\"10.0.0.1\"]", resource.Metadata!.Annotations!.Endpoints);
        Assert.Equal(" t ", resource.Metadata.Annotations.SecureAccessToken);
    }
}

using OpenSandbox.Ingress.Proxy;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy;

public sealed class ClosableTunnelStreamTests
{
    private static readonly byte[] GoingAway = [0x88, 0x02, 0x03, 0xE9];

    /// <summary>An unmasked binary frame carrying <paramref name="payload"/> bytes of 0x2A.</summary>
    private static byte[] Frame(int payload) => [0x82, (byte)payload, .. Enumerable.Repeat((byte)0x2A, payload)];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Writes_pass_in_order_and_the_close_frame_follows_the_last_whole_frame(bool writesCompleteLater)
    {
        var sink = new SinkStream(writesCompleteLater);
        await using var tunnel = new ClosableTunnelStream(sink, _ => { });

        await tunnel.WriteAsync(Frame(3), TestContext.Current.CancellationToken);
        await tunnel.WriteAsync(Frame(5), TestContext.Current.CancellationToken);
        await tunnel.CloseAsync();

        Assert.Equal([.. Frame(3), .. Frame(5), .. GoingAway], sink.Written);
    }

    [Fact]
    public async Task A_close_asked_for_inside_a_frame_waits_for_its_end_and_drops_what_follows()
    {
        var sink = new SinkStream(completeLater: false);
        await using var tunnel = new ClosableTunnelStream(sink, _ => { });
        var frame = Frame(6);

        await tunnel.WriteAsync(frame.AsMemory(0, 4), TestContext.Current.CancellationToken);
        await tunnel.CloseAsync();
        Assert.Equal(frame[..4], sink.Written);

        await tunnel.WriteAsync(frame.AsMemory(4), TestContext.Current.CancellationToken);
        await tunnel.WriteAsync(Frame(2), TestContext.Current.CancellationToken);

        Assert.Equal([.. frame, .. GoingAway], sink.Written);
    }

    /// <summary>Collects what is written; with <c>completeLater</c> every write finishes on another thread.</summary>
    private sealed class SinkStream(bool completeLater) : Stream
    {
        private readonly MemoryStream _written = new();

        public byte[] Written => _written.ToArray();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (completeLater)
            {
                await Task.Yield();
            }

            _written.Write(buffer.Span);
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _written.Write(buffer, offset, count);
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

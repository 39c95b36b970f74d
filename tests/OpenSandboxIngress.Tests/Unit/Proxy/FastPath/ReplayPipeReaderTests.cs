using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using CsCheck;
using OpenSandbox.Ingress.Proxy.FastPath;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy.FastPath;

/// <summary>Kestrel must read a handed-over connection's bytes exactly once and in order, however it consumes them.</summary>
public sealed class ReplayPipeReaderTests
{
    [Fact]
    public async Task Replayed_bytes_come_first_then_the_socket_passes_through()
    {
        var socket = new Pipe();
        var reader = Replay("GET / HTTP/1.1\r\n", socket.Reader);
        await socket.Writer.WriteAsync("after"u8.ToArray(), TestContext.Current.CancellationToken);

        var first = await reader.ReadAsync(TestContext.Current.CancellationToken);
        Assert.Equal("GET / HTTP/1.1\r\n", Text(first.Buffer));
        reader.AdvanceTo(first.Buffer.End);

        var second = await reader.ReadAsync(TestContext.Current.CancellationToken);
        Assert.Equal("after", Text(second.Buffer));
    }

    [Fact]
    public async Task A_reader_that_needs_more_gets_the_replayed_rest_and_the_new_bytes_in_one_buffer()
    {
        var socket = new Pipe();
        var reader = Replay("GET / HTTP/1.1\r\nHost: a", socket.Reader);
        var first = await reader.ReadAsync(TestContext.Current.CancellationToken);
        // An HTTP parser that consumed the request line and found the headers incomplete.
        reader.AdvanceTo(first.Buffer.GetPosition(16), first.Buffer.End);
        await socket.Writer.WriteAsync("\r\n\r\n"u8.ToArray(), TestContext.Current.CancellationToken);

        var second = await reader.ReadAsync(TestContext.Current.CancellationToken);
        Assert.Equal("Host: a\r\n\r\n", Text(second.Buffer));
    }

    [Fact]
    public async Task The_socket_closing_while_replaying_is_reported_with_the_rest()
    {
        var socket = new Pipe();
        var reader = Replay("partial", socket.Reader);
        var first = await reader.ReadAsync(TestContext.Current.CancellationToken);
        reader.AdvanceTo(first.Buffer.Start, first.Buffer.End);
        await socket.Writer.CompleteAsync();

        var second = await reader.ReadAsync(TestContext.Current.CancellationToken);
        Assert.True(second.IsCompleted);
        Assert.Equal("partial", Text(second.Buffer));
    }

    [Fact]
    public void Every_byte_is_read_once_and_in_order_whatever_the_split_and_consumption() =>
        Gen.Select(Gen.Int[1, 200], Gen.Int[0, 300], Gen.Int[1, 50], Gen.Int[0, 3]).Sample((replayedLength, socketLength, piece, slowness) =>
        {
            var all = Enumerable.Range(0, replayedLength + socketLength).Select(i => (byte)('a' + (i % 26))).ToArray();
            var socket = new Pipe();
            var reader = new ReplayPipeReader(all[..replayedLength], replayedLength, socket.Reader);
            for (var at = replayedLength; at < all.Length; at += piece)
            {
                socket.Writer.WriteAsync(all.AsMemory(at, Math.Min(piece, all.Length - at))).AsTask().GetAwaiter().GetResult();
            }

            socket.Writer.Complete();
            var seen = new List<byte>();
            while (true)
            {
                var result = reader.ReadAsync().AsTask().GetAwaiter().GetResult();
                var buffer = result.Buffer;
                // Consume at most `piece` bytes per read, and on some reads nothing, as parsers waiting for more do.
                var take = (int)Math.Min(buffer.Length, !result.IsCompleted && seen.Count % 4 < slowness ? 0 : piece);
                seen.AddRange(buffer.Slice(0, take).ToArray());
                if (result.IsCompleted && take == buffer.Length)
                {
                    reader.AdvanceTo(buffer.End);
                    break;
                }

                reader.AdvanceTo(buffer.GetPosition(take), take == 0 ? buffer.End : buffer.GetPosition(take));
            }

            return seen.SequenceEqual(all);
        });

    private static ReplayPipeReader Replay(string text, PipeReader socket)
    {
        var bytes = Encoding.ASCII.GetBytes(text + "ignored past the length");
        return new ReplayPipeReader(bytes, text.Length, socket);
    }

    private static string Text(ReadOnlySequence<byte> buffer) => Encoding.ASCII.GetString(buffer.ToArray());
}

using System.Buffers;
using System.Globalization;

namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>
/// Moves a response body from a sandbox connection to the client as it arrives, framed as the head says: a length, chunks
/// (passed through, their end tracked), or the sandbox closing (re-framed as chunks for the client). Bytes the sandbox
/// sends past the end are never passed on, and make its connection unusable.
/// </summary>
internal static class ResponseBody
{
    private const int ReceiveSize = 16 * 1024;

    /// <returns>Whether the whole body reached the client, and whether the sandbox connection can be reused.</returns>
    /// <param name="received">Bytes of <see cref="UpstreamConnection.Buffer"/> holding the head and the start of the body.</param>
    /// <param name="flush">Flushes <paramref name="output"/> under the connection's transfer deadline; false when the client has gone.</param>
    public static async ValueTask<(bool Complete, bool Reusable)> CopyAsync(ResponseHead head, UpstreamConnection upstream, int received,
        IBufferWriter<byte> output, Func<ValueTask<bool>> flush)
    {
        var extra = upstream.Buffer.AsMemory(head.Length, received - head.Length);
        var reusable = head.Reusable;
        switch (head.Framing)
        {
            case BodyFraming.None:
                return (await flush().ConfigureAwait(false), reusable && extra.IsEmpty);
            case BodyFraming.ContentLength:
                {
                    var remaining = head.ContentLength;
                    var first = (int)Math.Min(remaining, extra.Length);
                    HttpSyntax.Append(output, extra.Span[..first]);
                    remaining -= first;
                    reusable &= first == extra.Length;
                    while (remaining > 0)
                    {
                        if (!await flush().ConfigureAwait(false))
                        {
                            return (false, false);
                        }

                        var memory = output.GetMemory(ReceiveSize);
                        var count = await upstream.Socket.ReceiveAsync(memory[..(int)Math.Min(memory.Length, remaining)])
                            .ConfigureAwait(false);
                        if (count == 0)
                        {
                            return (false, false);
                        }

                        output.Advance(count);
                        remaining -= count;
                    }

                    return (await flush().ConfigureAwait(false), reusable);
                }

            case BodyFraming.Chunked:
                {
                    var scanner = default(ChunkedBodyScanner);
                    var body = scanner.Scan(extra.Span);
                    HttpSyntax.Append(output, extra.Span[..body]);
                    reusable &= body == extra.Length;
                    while (!scanner.IsDone && !scanner.IsInvalid)
                    {
                        if (!await flush().ConfigureAwait(false))
                        {
                            return (false, false);
                        }

                        var memory = output.GetMemory(ReceiveSize);
                        var count = await upstream.Socket.ReceiveAsync(memory).ConfigureAwait(false);
                        if (count == 0)
                        {
                            return (false, false);
                        }

                        body = scanner.Scan(memory.Span[..count]);
                        output.Advance(body);
                        reusable &= body == count;
                    }

                    return scanner.IsInvalid ? (false, false) : (await flush().ConfigureAwait(false), reusable);
                }

            default:
                {
                    // The sandbox ends the body by closing; the client gets it chunked and keeps its connection.
                    WriteChunk(output, extra.Span);
                    while (true)
                    {
                        if (!await flush().ConfigureAwait(false))
                        {
                            return (false, false);
                        }

                        var count = await upstream.Socket.ReceiveAsync(upstream.Buffer.AsMemory()).ConfigureAwait(false);
                        if (count == 0)
                        {
                            HttpSyntax.Append(output, "0\r\n\r\n"u8);
                            return (await flush().ConfigureAwait(false), false);
                        }

                        WriteChunk(output, upstream.Buffer.AsSpan(0, count));
                    }
                }
        }
    }

    private static void WriteChunk(IBufferWriter<byte> output, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        var size = output.GetSpan(10);
        data.Length.TryFormat(size, out var digits, "x", CultureInfo.InvariantCulture);
        output.Advance(digits);
        HttpSyntax.Append(output, "\r\n"u8);
        HttpSyntax.Append(output, data);
        HttpSyntax.Append(output, "\r\n"u8);
    }
}

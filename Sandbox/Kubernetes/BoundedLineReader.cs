using System.Buffers;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>
/// One line of a newline-delimited stream: its bytes, or, for a line over the cap, the first <c>cap</c> bytes and the
/// line's whole length. The bytes stay valid until the next read.
/// </summary>
internal readonly record struct BoundedLine(ReadOnlyMemory<byte> Bytes, long OversizedLength)
{
    public bool IsOversized => OversizedLength > 0;
}

/// <summary>
/// Reads the lines of a watch stream into one reusable pooled buffer that never grows past the cap plus one read:
/// a longer line is counted and its remaining bytes discarded up to the next <c>'\n'</c>, instead of being buffered
/// whole as <see cref="StreamReader.ReadLineAsync()"/> would (a hostile or broken server could send gigabytes).
/// </summary>
internal sealed class BoundedLineReader(Stream stream, int maxLineBytes) : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(KubernetesInputLimits.ReadChunkBytes, maxLineBytes + 1));
    private int _start;
    private int _end;
    private int _scanned;

    /// <returns>The next line without its <c>'\n'</c>, or null at the end of the stream.</returns>
    public async ValueTask<BoundedLine?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = _buffer.AsSpan(_scanned, _end - _scanned).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                // The cap holds for a line whose end arrived in the read that crossed it, too.
                var (lineStart, length) = (_start, _scanned + newline - _start);
                _start = _scanned = _scanned + newline + 1;
                return length > maxLineBytes
                    ? new BoundedLine(_buffer.AsMemory(lineStart, maxLineBytes), length)
                    : new BoundedLine(_buffer.AsMemory(lineStart, length), 0);
            }

            _scanned = _end;
            if (_end - _start > maxLineBytes)
            {
                return await DiscardRestOfLineAsync(cancellationToken);
            }

            MakeRoom();
            // One read at a time, whatever the pool rounded the buffer up to, so a line is never buffered past cap + one read.
            var read = await stream.ReadAsync(_buffer.AsMemory(_end, Math.Min(_buffer.Length - _end, KubernetesInputLimits.ReadChunkBytes)),
                cancellationToken);
            if (read == 0)
            {
                // A last line without '\n' (a cut stream) is still handed over; the parser rejects what is incomplete.
                return _end > _start ? TakeRest() : null;
            }

            _end += read;
        }
    }

    private BoundedLine TakeRest()
    {
        var (lineStart, length) = (_start, _end - _start);
        _start = _scanned = _end;
        return length > maxLineBytes
            ? new BoundedLine(_buffer.AsMemory(lineStart, maxLineBytes), length)
            : new BoundedLine(_buffer.AsMemory(lineStart, length), 0);
    }

    /// <summary>
    /// When the buffer is full: grows it (never past cap + one read) if the pending line leaves no room for a read,
    /// else moves the pending bytes to the front.
    /// </summary>
    private void MakeRoom()
    {
        if (_end < _buffer.Length)
        {
            return;
        }

        var pending = _end - _start;
        var target = _buffer;
        var ceiling = maxLineBytes + KubernetesInputLimits.ReadChunkBytes;
        if (pending > _buffer.Length - KubernetesInputLimits.ReadChunkBytes && _buffer.Length < ceiling)
        {
            target = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(_buffer.Length * 2, pending + KubernetesInputLimits.ReadChunkBytes), ceiling));
        }

        _buffer.AsSpan(_start, pending).CopyTo(target);
        if (!ReferenceEquals(target, _buffer))
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = target;
        }

        _scanned -= _start;
        _start = 0;
        _end = pending;
    }

    /// <summary>
    /// The line is over the cap: keep its first <c>cap</c> bytes (so the caller can name the object) and read the
    /// rest through the space behind them, counting, until the line ends.
    /// </summary>
    private async ValueTask<BoundedLine> DiscardRestOfLineAsync(CancellationToken cancellationToken)
    {
        long length = _end - _start;
        _buffer.AsSpan(_start, maxLineBytes).CopyTo(_buffer);
        var scratch = _buffer.AsMemory(maxLineBytes);
        if (scratch.Length < KubernetesInputLimits.ReadChunkBytes)
        {
            // Give the discarding reads a full read's room behind the kept prefix.
            var larger = ArrayPool<byte>.Shared.Rent(maxLineBytes + KubernetesInputLimits.ReadChunkBytes);
            _buffer.AsSpan(0, maxLineBytes).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
            scratch = _buffer.AsMemory(maxLineBytes);
        }

        while (true)
        {
            var read = await stream.ReadAsync(scratch, cancellationToken);
            if (read == 0)
            {
                _start = _scanned = _end = maxLineBytes;
                break;
            }

            var newline = scratch.Span[..read].IndexOf((byte)'\n');
            if (newline >= 0)
            {
                length += newline;
                _start = _scanned = maxLineBytes + newline + 1;
                _end = maxLineBytes + read;
                break;
            }

            length += read;
        }

        return new BoundedLine(_buffer.AsMemory(0, maxLineBytes), length);
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}

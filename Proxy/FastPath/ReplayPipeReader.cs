using System.Buffers;
using System.IO.Pipelines;

namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>
/// The input of a connection handed over to Kestrel: first the bytes the fast path already received from the socket,
/// then the socket's own pipe. Until Kestrel has consumed the replayed bytes, whatever more it needs is moved from the
/// socket's pipe behind them, so every read returns one contiguous, growing buffer; once they are consumed, reads pass
/// straight through.
/// </summary>
internal sealed class ReplayPipeReader(byte[] replayed, int length, PipeReader socket) : PipeReader
{
    private byte[] _replay = replayed;
    private int _start;
    private int _end = length;
    /// <summary>Kestrel examined every replayed byte without consuming them all: the next read must bring more.</summary>
    private bool _wantsMore;
    private bool _socketCompleted;

    private bool Replaying => _start < _end;

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (!Replaying)
        {
            return await socket.ReadAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_wantsMore && !_socketCompleted)
        {
            var result = await socket.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled)
            {
                return new ReadResult(Buffered, isCanceled: true, isCompleted: false);
            }

            Append(result.Buffer);
            socket.AdvanceTo(result.Buffer.End);
            _socketCompleted = result.IsCompleted;
        }

        return new ReadResult(Buffered, isCanceled: false, isCompleted: _socketCompleted);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!Replaying)
        {
            return socket.TryRead(out result);
        }

        if (_wantsMore && !_socketCompleted)
        {
            if (!socket.TryRead(out var more))
            {
                result = default;
                return false;
            }

            Append(more.Buffer);
            socket.AdvanceTo(more.Buffer.End);
            _socketCompleted = more.IsCompleted;
        }

        result = new ReadResult(Buffered, isCanceled: false, isCompleted: _socketCompleted);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (!Replaying)
        {
            socket.AdvanceTo(consumed, examined);
            return;
        }

        // Positions in a sequence over one array are offsets into that array.
        var consumedAt = consumed.GetInteger();
        var examinedAt = examined.GetInteger();
        if (consumedAt < _start || consumedAt > _end || examinedAt < consumedAt || examinedAt > _end)
        {
            throw new InvalidOperationException("position outside the buffer last read");
        }

        _wantsMore = examinedAt == _end;
        _start = consumedAt;
    }

    public override void CancelPendingRead() => socket.CancelPendingRead();

    public override void Complete(Exception? exception = null) => socket.Complete(exception);

    private ReadOnlySequence<byte> Buffered => new(_replay, _start, _end - _start);

    private void Append(ReadOnlySequence<byte> more)
    {
        var needed = _end + (int)more.Length;
        if (needed > _replay.Length)
        {
            var larger = new byte[Math.Max(needed, _replay.Length * 2)];
            _replay.AsSpan(_start, _end - _start).CopyTo(larger.AsSpan(_start));
            _replay = larger;
        }

        more.CopyTo(_replay.AsSpan(_end));
        _end = needed;
    }
}

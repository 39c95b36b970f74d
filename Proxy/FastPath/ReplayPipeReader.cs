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

    /// <remarks>Not async itself: once the replayed bytes are consumed, reads cost no more than the socket's own.</remarks>
    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (!Replaying)
        {
            return socket.ReadAsync(cancellationToken);
        }

        return _wantsMore && !_socketCompleted ? ReadMoreAsync(cancellationToken) : new(new ReadResult(Buffered, isCanceled: false, isCompleted: _socketCompleted));
    }

    private async ValueTask<ReadResult> ReadMoreAsync(CancellationToken cancellationToken)
    {
        var result = await socket.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCanceled)
        {
            return new ReadResult(Buffered, isCanceled: true, isCompleted: false);
        }

        MoveBehindReplayed(result);
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

            MoveBehindReplayed(more);
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

    /// <summary>Everything the socket's pipe holds goes behind the replayed bytes, consumed from the pipe.</summary>
    private void MoveBehindReplayed(ReadResult socketRead)
    {
        Append(socketRead.Buffer);
        socket.AdvanceTo(socketRead.Buffer.End);
        _socketCompleted = socketRead.IsCompleted;
    }

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

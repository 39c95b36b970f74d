using System.Runtime.CompilerServices;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// The client side of an upgraded (WebSocket) connection, as YARP writes the sandbox's bytes into it. On
/// <see cref="CloseAsync"/> it sends the client a close frame with status 1001 (going away) at the next frame
/// boundary and drops whatever the sandbox sends after it; the client's answering close frame still reaches the
/// sandbox, so both sides see an orderly close.
/// </summary>
internal sealed class ClosableTunnelStream(Stream inner, Action<ClosableTunnelStream> onDispose) : DelegatingStream(inner)
{
    /// <summary>FIN + close opcode, 2-byte payload, status 1001.</summary>
    private static readonly byte[] GoingAway = [0x88, 0x02, 0x03, 0xE9];

    private readonly WebSocketFrameTracker _frames = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private bool _closeRequested;
    private bool _closeSent;

    public async Task CloseAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            _closeRequested = true;
            if (_frames.AtBoundary)
            {
                await SendCloseAsync(CancellationToken.None);
            }
        }
        catch (IOException)
        {
            // The client is already gone.
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // The common case, once per message: no close pending and the lock free, so the frames are tracked and the
        // write goes out without an async frame; anything else takes the locked path below.
        if (_writeLock.Wait(0))
        {
            if (_closeRequested)
            {
                _writeLock.Release();
                return WriteLockedAsync(buffer, cancellationToken);
            }

            ValueTask writing;
            try
            {
                TrackFrames(buffer.Span);
                writing = Inner.WriteAsync(buffer, cancellationToken);
            }
            catch
            {
                _writeLock.Release();
                throw;
            }

            if (writing.IsCompletedSuccessfully)
            {
                writing.GetAwaiter().GetResult();
                _writeLock.Release();
                return ValueTask.CompletedTask;
            }

            return ReleaseWhenWrittenAsync(writing);
        }

        return WriteLockedAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReleaseWhenWrittenAsync(ValueTask writing)
    {
        try
        {
            await writing;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void TrackFrames(ReadOnlySpan<byte> data)
    {
        var offset = 0;
        while (offset < data.Length)
        {
            offset += _frames.AdvanceToBoundary(data[offset..]);
        }
    }

    private async ValueTask WriteLockedAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (_closeSent)
            {
                return;
            }

            if (!_closeRequested)
            {
                // Track frames as they pass; a close request may come between any two writes.
                TrackFrames(buffer.Span);
                await Inner.WriteAsync(buffer, cancellationToken);
                return;
            }

            // Finish the frame in progress, then close.
            var untilBoundary = _frames.AtBoundary ? 0 : _frames.AdvanceToBoundary(buffer.Span);
            await Inner.WriteAsync(buffer[..untilBoundary], cancellationToken);
            if (_frames.AtBoundary)
            {
                await SendCloseAsync(cancellationToken);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task SendCloseAsync(CancellationToken cancellationToken)
    {
        _closeSent = true;
        await Inner.WriteAsync(GoingAway, cancellationToken);
        await Inner.FlushAsync(cancellationToken);
    }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        // Out of the drain's set before the client's stream goes (in base), so a drain never closes a disposed stream.
        if (disposing)
        {
            onDispose(this);
            _writeLock.Dispose();
        }

        base.Dispose(disposing);
    }
}

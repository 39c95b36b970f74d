using System.Buffers;
using OpenSandbox.Ingress.Proxy.FastPath.Loop;

namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>
/// Bytes on their way to a fast-path client, gathered so that a response head and a small body leave in one send. The
/// buffer comes from the shared pool and goes back to it while the connection waits for its next request, so idle
/// keep-alive connections hold none.
/// </summary>
internal sealed class ClientOutput(LoopSocket socket) : IBufferWriter<byte>
{
    private const int MinimumSize = 4 * 1024;

    private byte[] _buffer = [];
    private int _written;

    /// <summary>Bytes written and not sent yet.</summary>
    public int Pending => _written;

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Sends what was written; completes once the kernel has taken all of it (the client is reading).</summary>
    public ValueTask SendAsync()
    {
        var written = _written;
        _written = 0;
        return written > 0 ? socket.SendAsync(_buffer.AsMemory(0, written)) : default;
    }

    /// <summary>Gives the buffer back to the pool; anything written and not sent is dropped.</summary>
    public void Release()
    {
        _written = 0;
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private void Reserve(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, MinimumSize));
        _buffer.AsSpan(0, _written).CopyTo(larger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = larger;
    }
}

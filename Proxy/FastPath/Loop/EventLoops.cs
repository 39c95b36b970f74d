namespace OpenSandbox.Ingress.Proxy.FastPath.Loop;

/// <summary>The fast path's event loops, one per processor; new client connections are dealt out in turn.</summary>
internal sealed class EventLoops : IDisposable
{
    private readonly EventLoop[] _loops;
    private uint _next;

    public EventLoops(int count)
    {
        _loops = new EventLoop[count];
        for (var i = 0; i < count; i++)
        {
            _loops[i] = new EventLoop(i);
        }
    }

    public IReadOnlyList<EventLoop> All => _loops;

    public EventLoop Next() => _loops[Interlocked.Increment(ref _next) % (uint)_loops.Length];

    public void Dispose()
    {
        foreach (var loop in _loops)
        {
            loop.Dispose();
        }
    }
}

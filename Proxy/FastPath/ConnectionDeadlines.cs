using System.Collections.Concurrent;

namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>Something with a deadline that must be told when it passes.</summary>
internal interface IHasDeadline
{
    /// <summary><see cref="Environment.TickCount64"/> milliseconds; <see cref="long.MaxValue"/> for none.</summary>
    long Deadline { get; }

    void OnDeadlinePassed();
}

/// <summary>
/// Timeouts for fast-path connections, checked once a second (as Kestrel's own heartbeat does): setting a deadline
/// is one field write on the request path, where a timer per operation would cost a timer-queue update each time.
/// </summary>
internal sealed class ConnectionDeadlines : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<IHasDeadline, byte> _watched = new(ReferenceEqualityComparer.Instance);
    private readonly Timer _timer;

    public ConnectionDeadlines() => _timer = new Timer(_ => Check(), null, Tick, Tick);

    public void Watch(IHasDeadline item) => _watched.TryAdd(item, 0);

    public void Forget(IHasDeadline item) => _watched.TryRemove(item, out _);

    public void Dispose() => _timer.Dispose();

    private void Check()
    {
        var now = Environment.TickCount64;
        foreach (var (item, _) in _watched)
        {
            if (item.Deadline <= now)
            {
                item.OnDeadlinePassed();
            }
        }
    }
}

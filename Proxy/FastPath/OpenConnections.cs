using System.Collections.Concurrent;

namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>
/// The fast path's open client connections: their timeouts, checked once a second (as Kestrel's own heartbeat does,
/// since setting a deadline is then one field write on the request path where a timer per operation would cost a
/// timer-queue update each time), and closing them all at shutdown.
/// </summary>
internal sealed class OpenConnections : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<FastPathConnection, byte> _open = new(ReferenceEqualityComparer.Instance);
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Timer _timer;
    private volatile bool _closing;

    public OpenConnections() => _timer = new Timer(_ => CheckDeadlines(), null, Tick, Tick);

    public void Add(FastPathConnection connection)
    {
        _open.TryAdd(connection, 0);
        if (_closing)
        {
            connection.RequestClose();
        }
    }

    public void Remove(FastPathConnection connection)
    {
        _open.TryRemove(connection, out _);
        if (_closing && _open.IsEmpty)
        {
            _allClosed.TrySetResult();
        }
    }

    /// <summary>
    /// Shutdown: idle connections close now, busy ones after their response; those still open when
    /// <paramref name="deadline"/> passes are cut.
    /// </summary>
    public async Task CloseAllAsync(CancellationToken deadline)
    {
        _closing = true;
        foreach (var (connection, _) in _open)
        {
            connection.RequestClose();
        }

        if (_open.IsEmpty)
        {
            return;
        }

        try
        {
            await _allClosed.Task.WaitAsync(deadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            foreach (var (connection, _) in _open)
            {
                connection.Abort();
            }
        }
    }

    public void Dispose() => _timer.Dispose();

    private void CheckDeadlines()
    {
        var now = Environment.TickCount64;
        foreach (var (connection, _) in _open)
        {
            if (connection.Deadline <= now)
            {
                connection.OnDeadlinePassed();
            }
        }
    }
}

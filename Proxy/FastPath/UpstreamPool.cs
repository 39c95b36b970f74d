using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using OpenSandbox.Ingress.Proxy.FastPath.Loop;

namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>One keep-alive connection to a sandbox, with the buffer its responses are read into.</summary>
internal sealed class UpstreamConnection(LoopSocket socket, long createdAt) : IDisposable
{
    /// <summary>Enough for a typical response head: bodies are received straight into the client connection's output buffer.</summary>
    private const int BufferSize = 4 * 1024;

    public LoopSocket Socket { get; } = socket;

    public byte[] Buffer { get; private set; } = new byte[BufferSize];

    public long CreatedAt { get; } = createdAt;

    public long IdleSince { get; set; }

    /// <summary>Served a request before: a failure before the first response byte may mean the sandbox closed it idle.</summary>
    public bool WasReused { get; set; }

    /// <summary>A response head larger than the buffer: doubled up to the head limit, kept for the connection's life.</summary>
    public void GrowBuffer(int filled)
    {
        var larger = new byte[Buffer.Length * 2];
        Buffer.AsSpan(0, filled).CopyTo(larger);
        Buffer = larger;
    }

    public void Dispose() => Socket.Dispose();
}

/// <summary>
/// Idle connections to sandboxes, per destination (endpoint and port) and event loop (a connection serves clients of
/// the loop it was made on). Like the shared <c>SocketsHttpHandler</c> pool:
/// connections idle longer than the pool idle timeout, older than five minutes (pods come and go behind one IP), or
/// closed by the sandbox meanwhile are not handed out; a timer closes the stale ones.
/// </summary>
internal sealed class UpstreamPool : IDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(5);
    private const long RecentlyUsedMs = 1000;

    private readonly ConcurrentDictionary<string, Destination> _destinations = new(StringComparer.Ordinal);
    private readonly int _loopCount;
    private readonly TimeSpan _connectTimeout;
    private readonly long _idleLimitMs;
    private readonly Timer _sweeper;

    public UpstreamPool(int loopCount, TimeSpan connectTimeout, TimeSpan poolIdleTimeout)
    {
        _loopCount = loopCount;
        _connectTimeout = connectTimeout;
        _idleLimitMs = (long)poolIdleTimeout.TotalMilliseconds;
        _sweeper = new Timer(_ => Sweep(), null, SweepInterval, SweepInterval);
    }

    /// <summary>The destination for <c>http://host:port</c>, as the sandbox directory forms it.</summary>
    public Destination For(string destination)
    {
        var found = _destinations.GetOrAdd(destination, static (key, loopCount) => new Destination(key, loopCount), _loopCount);
        found.LastUsed = Environment.TickCount64;
        return found;
    }

    /// <summary>A connection pooled on <paramref name="loop"/> that still looks open, or null.</summary>
    public UpstreamConnection? TryRent(Destination destination, EventLoop loop)
    {
        var now = Environment.TickCount64;
        while (destination.Idle[loop.Index].TryPop(out var connection))
        {
            // Readable while idle means the sandbox closed it (or sent bytes nobody asked for): either way, unusable.
            // Asked only after a pause: under load the check is a system call per request, and a connection closed
            // within the last second is caught by the retry on a fresh connection instead.
            if (IsFresh(connection, now) && (now - connection.IdleSince < RecentlyUsedMs || !connection.Socket.IsReadable()))
            {
                return connection;
            }

            connection.Dispose();
        }

        return null;
    }

    /// <summary>A new connection on <paramref name="loop"/>; completes on its thread.</summary>
    /// <exception cref="SocketException">Refused, unreachable or not resolvable.</exception>
    /// <exception cref="TimeoutException">No connection within the connect timeout (name resolution included).</exception>
    public async ValueTask<UpstreamConnection> ConnectAsync(Destination destination, EventLoop loop, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_connectTimeout);
        try
        {
            var addresses = destination.EndPoint is IPEndPoint ip
                ? [ip]
                : await ResolveAsync((DnsEndPoint)destination.EndPoint, timeout.Token).ConfigureAwait(false);
            await loop.SwitchTo();
            SocketException? failure = null;
            foreach (var address in addresses)
            {
                var socket = LoopSocket.CreateTcp(address.AddressFamily, loop);
                // The timeout closes the socket, failing the pending connect; Dispose posts the close to the loop.
                using var cancel = timeout.Token.Register(static s => ((LoopSocket)s!).Dispose(), socket);
                try
                {
                    await socket.ConnectAsync(address).ConfigureAwait(false);
                    return new UpstreamConnection(socket, Environment.TickCount64);
                }
                catch (SocketException e)
                {
                    socket.Dispose();
                    failure = e;
                }
            }

            throw failure ?? new SocketException((int)SocketError.HostNotFound);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && timeout.IsCancellationRequested
            && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no connection within {_connectTimeout.TotalSeconds:0.###} s");
        }
    }

    private static async Task<IPEndPoint[]> ResolveAsync(DnsEndPoint endPoint, CancellationToken cancellationToken)
    {
        var addresses = await Dns.GetHostAddressesAsync(endPoint.Host, cancellationToken).ConfigureAwait(false);
        return Array.ConvertAll(addresses, address => new IPEndPoint(address, endPoint.Port));
    }

    public void Return(Destination destination, UpstreamConnection connection)
    {
        connection.IdleSince = Environment.TickCount64;
        connection.WasReused = true;
        var idle = destination.Idle[connection.Socket.Loop.Index];
        idle.Push(connection);
        // The sweeper may have forgotten the destination while this request was in flight: nobody would rent it then.
        if (!_destinations.TryGetValue(destination.Name, out var current) || current != destination)
        {
            while (idle.TryPop(out var orphan))
            {
                orphan.Dispose();
            }
        }
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        foreach (var idle in _destinations.Values.SelectMany(destination => destination.Idle))
        {
            while (idle.TryPop(out var connection))
            {
                connection.Dispose();
            }
        }
    }

    private void SweepStack(ConcurrentStack<UpstreamConnection> idle, long now)
    {
        var taken = new List<UpstreamConnection>();
        while (idle.TryPop(out var connection))
        {
            taken.Add(connection);
        }

        // Pushed back oldest first, so the most recently used is handed out next, as before.
        for (var i = taken.Count - 1; i >= 0; i--)
        {
            if (IsFresh(taken[i], now))
            {
                idle.Push(taken[i]);
            }
            else
            {
                taken[i].Dispose();
            }
        }
    }

    private bool IsFresh(UpstreamConnection connection, long now) =>
        now - connection.IdleSince < _idleLimitMs && now - connection.CreatedAt < (long)Lifetime.TotalMilliseconds;

    private void Sweep()
    {
        var now = Environment.TickCount64;
        foreach (var (key, destination) in _destinations)
        {
            foreach (var idle in destination.Idle)
            {
                SweepStack(idle, now);
            }

            // Thousands of sandboxes come and go: forget destinations nobody has used for a whole idle period.
            if (destination.Idle.All(idle => idle.IsEmpty) && now - destination.LastUsed > _idleLimitMs)
            {
                _destinations.TryRemove(key, out _);
            }
        }
    }
}

/// <summary>A sandbox endpoint and port: where to connect, what to send as Host, and its idle connections.</summary>
internal sealed class Destination
{
    public Destination(string destination, int loopCount)
    {
        // "http://" + host (IPv6 bracketed) + ":" + port, as SandboxRecord.DestinationBase and the request handler form it.
        var authority = destination["http://".Length..];
        var colon = authority.LastIndexOf(':');
        var host = authority[..colon].Trim('[', ']');
        var port = int.Parse(authority.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture);
        EndPoint = IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);
        HostLine = System.Text.Encoding.ASCII.GetBytes($"Host: {authority}\r\n");
        Name = destination;
        Idle = new ConcurrentStack<UpstreamConnection>[loopCount];
        for (var i = 0; i < loopCount; i++)
        {
            Idle[i] = new ConcurrentStack<UpstreamConnection>();
        }
    }

    /// <summary><c>http://host:port</c>, as logged.</summary>
    public string Name { get; }

    public EndPoint EndPoint { get; }

    public byte[] HostLine { get; }

    /// <summary>Idle connections, by <see cref="EventLoop.Index"/>.</summary>
    public ConcurrentStack<UpstreamConnection>[] Idle { get; }

    public long LastUsed { get; set; } = Environment.TickCount64;
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>One keep-alive connection to a sandbox, with the buffer its responses are read into.</summary>
internal sealed class UpstreamConnection(Socket socket, long createdAt) : IDisposable
{
    /// <summary>Enough for a typical response head: bodies are received straight into the client connection's output buffer.</summary>
    private const int BufferSize = 4 * 1024;

    public Socket Socket { get; } = socket;

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
/// Idle connections to sandboxes, per destination (endpoint and port). Like the shared <c>SocketsHttpHandler</c> pool:
/// connections idle longer than the pool idle timeout, older than five minutes (pods come and go behind one IP), or
/// closed by the sandbox meanwhile are not handed out; a timer closes the stale ones.
/// </summary>
internal sealed class UpstreamPool : IDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(5);
    private const long RecentlyUsedMs = 1000;

    private readonly ConcurrentDictionary<string, Destination> _destinations = new(StringComparer.Ordinal);
    private readonly TimeSpan _connectTimeout;
    private readonly long _idleLimitMs;
    private readonly Timer _sweeper;

    public UpstreamPool(TimeSpan connectTimeout, TimeSpan poolIdleTimeout)
    {
        _connectTimeout = connectTimeout;
        _idleLimitMs = (long)poolIdleTimeout.TotalMilliseconds;
        _sweeper = new Timer(_ => Sweep(), null, SweepInterval, SweepInterval);
    }

    /// <summary>The destination for <c>http://host:port</c>, as the sandbox directory forms it.</summary>
    public Destination For(string destination)
    {
        var found = _destinations.GetOrAdd(destination, static key => new Destination(key));
        found.LastUsed = Environment.TickCount64;
        return found;
    }

    /// <summary>A pooled connection that still looks open, or null.</summary>
    public UpstreamConnection? TryRent(Destination destination)
    {
        var now = Environment.TickCount64;
        while (destination.Idle.TryPop(out var connection))
        {
            // Readable while idle means the sandbox closed it (or sent bytes nobody asked for): either way, unusable.
            // Asked only after a pause: under load the check is a system call per request, and a connection closed
            // within the last second is caught by the retry on a fresh connection instead.
            if (IsFresh(connection, now) && (now - connection.IdleSince < RecentlyUsedMs || !connection.Socket.Poll(0, SelectMode.SelectRead)))
            {
                return connection;
            }

            connection.Dispose();
        }

        return null;
    }

    /// <exception cref="SocketException">Refused, unreachable or not resolvable.</exception>
    /// <exception cref="TimeoutException">No connection within the connect timeout.</exception>
    public async ValueTask<UpstreamConnection> ConnectAsync(Destination destination, CancellationToken cancellationToken)
    {
        var socket = destination.EndPoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_connectTimeout);
        try
        {
            await socket.ConnectAsync(destination.EndPoint, timeout.Token).ConfigureAwait(false);
            return new UpstreamConnection(socket, Environment.TickCount64);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"no connection within {_connectTimeout.TotalSeconds:0.###} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Return(Destination destination, UpstreamConnection connection)
    {
        connection.IdleSince = Environment.TickCount64;
        connection.WasReused = true;
        destination.Idle.Push(connection);
        // The sweeper may have forgotten the destination while this request was in flight: nobody would rent it then.
        if (!_destinations.TryGetValue(destination.Name, out var current) || current != destination)
        {
            while (destination.Idle.TryPop(out var orphan))
            {
                orphan.Dispose();
            }
        }
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        foreach (var destination in _destinations.Values)
        {
            while (destination.Idle.TryPop(out var connection))
            {
                connection.Dispose();
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
            var idle = new List<UpstreamConnection>();
            while (destination.Idle.TryPop(out var connection))
            {
                idle.Add(connection);
            }

            // Pushed back oldest first, so the most recently used is handed out next, as before.
            for (var i = idle.Count - 1; i >= 0; i--)
            {
                if (IsFresh(idle[i], now))
                {
                    destination.Idle.Push(idle[i]);
                }
                else
                {
                    idle[i].Dispose();
                }
            }

            // Thousands of sandboxes come and go: forget destinations nobody has used for a whole idle period.
            if (destination.Idle.IsEmpty && now - destination.LastUsed > _idleLimitMs)
            {
                _destinations.TryRemove(key, out _);
            }
        }
    }
}

/// <summary>A sandbox endpoint and port: where to connect, what to send as Host, and its idle connections.</summary>
internal sealed class Destination
{
    public Destination(string destination)
    {
        // "http://" + host (IPv6 bracketed) + ":" + port, as SandboxRecord.DestinationBase and the request handler form it.
        var authority = destination["http://".Length..];
        var colon = authority.LastIndexOf(':');
        var host = authority[..colon].Trim('[', ']');
        var port = int.Parse(authority.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture);
        EndPoint = IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);
        HostLine = System.Text.Encoding.ASCII.GetBytes($"Host: {authority}\r\n");
        Name = destination;
    }

    /// <summary><c>http://host:port</c>, as logged.</summary>
    public string Name { get; }

    public EndPoint EndPoint { get; }

    public byte[] HostLine { get; }

    public ConcurrentStack<UpstreamConnection> Idle { get; } = new();

    public long LastUsed { get; set; } = Environment.TickCount64;
}

using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Proxy.FastPath.Loop;

namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>
/// The main port's listener, in Kestrel's place: it accepts connections itself and serves them on the fast path over
/// plain sockets; a connection with a request the fast path does not serve becomes a Kestrel socket connection
/// (receiving the bytes already read first) and reaches Kestrel's HTTP/1.1 pipeline through <see cref="AcceptAsync"/>,
/// as if Kestrel had accepted it. Kestrel drives the lifetime: it stops this listener with its others at shutdown.
/// </summary>
internal sealed partial class FastPathListener : IConnectionListener
{
    private readonly Socket _listenSocket;
    private readonly FastPathProxy _proxy;
    private readonly SocketConnectionContextFactory _kestrelConnections;
    private readonly ILogger _logger;
    private readonly Channel<ConnectionContext> _handedOver = Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions { SingleReader = true });
    private readonly LoopAcceptor[] _acceptors;
    private Task? _stoppedAccepting;
    private Task _closingConnections = Task.CompletedTask;
    private volatile bool _unbinding;

    private FastPathListener(Socket listenSocket, FastPathProxy proxy, SocketConnectionContextFactory kestrelConnections, ILogger logger)
    {
        _listenSocket = listenSocket;
        _proxy = proxy;
        _kestrelConnections = kestrelConnections;
        _logger = logger;
        EndPoint = listenSocket.LocalEndPoint!;
        // Every event loop accepts from the socket: it must never block one of them when another took the connection.
        listenSocket.Blocking = false;
        var listener = listenSocket.SafeHandle.DangerousGetHandle();
        _acceptors = [.. proxy.Loops.All.Select(loop => new LoopAcceptor(loop, listener, Serve, LogAcceptFailed))];
        foreach (var acceptor in _acceptors)
        {
            acceptor.Loop.Post(static acceptor => ((LoopAcceptor)acceptor!).Start(), acceptor);
        }
    }

    public EndPoint EndPoint { get; }

    /// <exception cref="AddressInUseException">The port is taken, reported the way Kestrel reports it.</exception>
    public static FastPathListener Bind(FastPathEndPoint endPoint, FastPathProxy proxy, SocketTransportOptions sockets, ILoggerFactory loggers)
    {
        var socket = BindSocket(endPoint, sockets.Backlog);
        var kestrelConnections = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions
        {
            IOQueueCount = sockets.IOQueueCount,
            WaitForDataBeforeAllocatingBuffer = sockets.WaitForDataBeforeAllocatingBuffer,
            MaxReadBufferSize = sockets.MaxReadBufferSize,
            MaxWriteBufferSize = sockets.MaxWriteBufferSize,
            UnsafePreferInlineScheduling = sockets.UnsafePreferInlineScheduling,
        }, loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));
        return new FastPathListener(socket, proxy, kestrelConnections, loggers.CreateLogger<FastPathListener>());
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (await _handedOver.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_handedOver.Reader.TryRead(out var connection))
            {
                return connection;
            }
        }

        return null;
    }

    /// <summary>
    /// Stops accepting, and asks the fast path's connections to close (idle ones now, busy ones after their response)
    /// while Kestrel does the same with its own; <paramref name="cancellationToken"/> is the end of the drain.
    /// </summary>
    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        await StopAcceptingAsync().ConfigureAwait(false);
        _handedOver.Writer.TryComplete();
        _closingConnections = _proxy.Connections.CloseAllAsync(cancellationToken);
    }

    /// <summary>Called by Kestrel once its own connections have closed: waits for the fast path's to do the same.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAcceptingAsync().ConfigureAwait(false);
        _handedOver.Writer.TryComplete();
        await _closingConnections.ConfigureAwait(false);
        _kestrelConnections.Dispose();
    }

    /// <summary>Gives a connection to Kestrel; <paramref name="received"/> are bytes read from it and not served.</summary>
    /// <returns>False when Kestrel takes no more connections (shutdown) or the socket is already unusable: the caller closes it.</returns>
    public bool TryHandOver(Socket socket, ReadOnlySpan<byte> received)
    {
        if (_unbinding)
        {
            return false;
        }

        ConnectionContext connection;
        try
        {
            connection = _kestrelConnections.Create(socket);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }

        if (!received.IsEmpty)
        {
            connection.Transport = new Transport(new ReplayPipeReader(received.ToArray(), received.Length, connection.Transport.Input),
                connection.Transport.Output);
        }

        if (!_handedOver.Writer.TryWrite(connection))
        {
            // Shutdown began meanwhile: the connection's own transport closes the socket.
            connection.Abort(new ConnectionAbortedException("the ingress is shutting down"));
            _ = connection.DisposeAsync();
        }

        return true;
    }

    private static Socket BindSocket(FastPathEndPoint endPoint, int backlog)
    {
        Socket socket;
        try
        {
            socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endPoint.Address);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new AddressInUseException(e.Message, e);
        }
        catch (SocketException) when (endPoint.IsAnyAddress)
        {
            // No IPv6 on this host: every IPv4 interface instead, as Kestrel's ListenAnyIP does.
            return BindSocket(new FastPathEndPoint(new IPEndPoint(IPAddress.Any, endPoint.Address.Port), isAnyAddress: false), backlog);
        }

        socket.Listen(backlog);
        return socket;
    }

    /// <summary>A connection one of the loops accepted, served on that loop's thread.</summary>
    private void Serve(LoopSocket socket) => _ = new FastPathConnection(socket, _proxy, this).RunAsync();

    /// <summary>Every loop stops accepting, then the listening socket closes (once, whoever asks first).</summary>
    private Task StopAcceptingAsync()
    {
        _unbinding = true;
        lock (_acceptors)
        {
            return _stoppedAccepting ??= StopAllAsync();
        }

        async Task StopAllAsync()
        {
            var stops = _acceptors.Select(acceptor =>
            {
                var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                acceptor.Loop.Post(static state =>
                {
                    var (acceptor, stopped) = ((LoopAcceptor, TaskCompletionSource))state!;
                    acceptor.Stop();
                    stopped.SetResult();
                }, (acceptor, stopped));
                return stopped.Task;
            });
            await Task.WhenAll(stops).ConfigureAwait(false);
            _listenSocket.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Accepting a connection failed: {Error}")]
    private partial void LogAcceptFailed(SocketError error);

    private sealed record Transport(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using static OpenSandbox.Ingress.Proxy.FastPath.Loop.LinuxSockets;

namespace OpenSandbox.Ingress.Proxy.FastPath.Loop;

/// <summary>
/// A socket descriptor served by one <see cref="EventLoop"/>: an operation is tried at once and, when the kernel has
/// nothing to give or no room, completes when epoll says it can (the continuation runs inline on the loop's thread).
/// Everything happens on the loop's thread, one receive and one send at a time, except <see cref="Dispose"/>, which
/// may come from any thread. No .NET <see cref="Socket"/> is made unless the socket leaves the loop (<see cref="Detach"/>).
/// </summary>
internal sealed class LoopSocket : ILoopHandler, IDisposable
{
    private readonly Operation _receive = new();
    private readonly Operation _send = new();
    private readonly int _slot;
    private Memory<byte> _receiveBuffer;
    private ReadOnlyMemory<byte> _sendRemaining;
    private bool _receivePending;

    /// <summary>
    /// False once a receive has emptied the socket (it returned less than asked, or nothing): the next receive then
    /// waits for epoll's next edge, which new bytes always bring, instead of spending a system call to hear "try
    /// again" (twice per proxied request otherwise). A peer's close or an error is no new bytes, and its edge may come
    /// with the last of them: once epoll has reported one, every receive asks the kernel. False at first: adding a
    /// socket that already holds bytes to the epoll set reports them.
    /// </summary>
    private bool _mayHaveBytes;
    private bool _peerClosed;
    private bool _sendPending;
    private bool _connectPending;
    private bool _closed;

    /// <summary>Takes the connected or connecting socket <paramref name="fd"/> (owned from now on) onto <paramref name="loop"/>. Loop thread only.</summary>
    public LoopSocket(nint fd, EventLoop loop, IPAddress? remoteAddress = null)
    {
        Handle = fd;
        Loop = loop;
        RemoteAddress = remoteAddress;
        _slot = loop.Register(this, fd, SocketEvents);
    }

    public EventLoop Loop { get; }

    public nint Handle { get; }

    /// <summary>The peer's address, when the socket was accepted.</summary>
    public IPAddress? RemoteAddress { get; }

    /// <summary>A new TCP socket for <see cref="ConnectAsync"/>. Loop thread only.</summary>
    /// <exception cref="SocketException">No descriptor to be had.</exception>
    public static LoopSocket CreateTcp(AddressFamily family, EventLoop loop)
    {
        var fd = CreateTcpSocket(family);
        try
        {
            return new LoopSocket(fd, loop);
        }
        catch (SocketException)
        {
            LinuxSockets.Close(fd);
            throw;
        }
    }

    /// <returns>Bytes received into <paramref name="buffer"/>; 0 when the peer has closed its side.</returns>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer)
    {
        Debug.Assert(Loop.IsCurrentThread && !_receivePending);
        if (_closed)
        {
            return ValueTask.FromException<int>(new ObjectDisposedException(nameof(LoopSocket)));
        }

        if (_mayHaveBytes)
        {
            var received = Receive(Handle, buffer.Span);
            if (received >= 0)
            {
                _mayHaveBytes = received == buffer.Length || _peerClosed;
                return new ValueTask<int>((int)received);
            }

            var errno = Errno;
            if (errno != EAGAIN)
            {
                return ValueTask.FromException<int>(Error(errno));
            }

            _mayHaveBytes = _peerClosed;
        }

        _receiveBuffer = buffer;
        _receivePending = true;
        return _receive.Start();
    }

    /// <summary>Completes once the kernel has taken all of <paramref name="bytes"/>.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> bytes)
    {
        Debug.Assert(Loop.IsCurrentThread && !_sendPending && !_connectPending);
        if (_closed)
        {
            return ValueTask.FromException(new ObjectDisposedException(nameof(LoopSocket)));
        }

        var errno = SendSome(ref bytes);
        if (errno == 0)
        {
            return default;
        }

        if (errno != EAGAIN)
        {
            return ValueTask.FromException(Error(errno));
        }

        _sendRemaining = bytes;
        _sendPending = true;
        return _send.StartWithoutResult();
    }

    /// <summary>A TCP connection to <paramref name="endPoint"/>, complete when the handshake is.</summary>
    public ValueTask ConnectAsync(IPEndPoint endPoint)
    {
        Debug.Assert(Loop.IsCurrentThread && !_sendPending && !_connectPending);
        if (LinuxSockets.Connect(Handle, endPoint.Serialize()) == 0)
        {
            return default;
        }

        var errno = Errno;
        if (errno != EINPROGRESS)
        {
            return ValueTask.FromException(Error(errno));
        }

        _connectPending = true;
        return _send.StartWithoutResult();
    }

    /// <summary>Whether bytes or the peer's close are waiting (one system call).</summary>
    public bool IsReadable() => !_closed && LinuxSockets.IsReadable(Handle);

    /// <summary>Ends both directions with a FIN; a pending receive then completes with 0.</summary>
    public void Shutdown()
    {
        Debug.Assert(Loop.IsCurrentThread);
        if (!_closed)
        {
            ShutdownBoth(Handle);
        }
    }

    /// <summary>Closes the socket on its loop; a pending operation fails with <see cref="ObjectDisposedException"/>. Any thread.</summary>
    public void Dispose()
    {
        if (Loop.IsCurrentThread)
        {
            Close();
        }
        else
        {
            Loop.Post(static socket => ((LoopSocket)socket!).Close(), this);
        }
    }

    /// <summary>
    /// Takes the open socket off the loop, as a .NET <see cref="Socket"/> for an owner that uses .NET's own socket
    /// operations. Loop thread, nothing pending.
    /// </summary>
    /// <returns>Null when the socket has failed meanwhile (it is closed then).</returns>
    public Socket? Detach()
    {
        Debug.Assert(Loop.IsCurrentThread && !_receivePending && !_sendPending && !_connectPending);
        _closed = true;
        Loop.Unregister(_slot, Handle);
        var handle = new SafeSocketHandle(Handle, ownsHandle: true);
        try
        {
            return new Socket(handle);
        }
        catch (SocketException)
        {
            handle.Dispose();
            return null;
        }
    }

    /// <summary>Epoll reported <paramref name="events"/> (edge-triggered): pending operations try again.</summary>
    public void OnEvents(uint events)
    {
        if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0)
        {
            _peerClosed |= (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
            _mayHaveBytes = true;
            if (_receivePending)
            {
                ContinueReceive();
            }
        }

        // The receive's continuation may have closed the socket or started a send that is already waiting.
        if (!_closed && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0)
        {
            if (_sendPending)
            {
                ContinueSend();
            }
            else if (_connectPending)
            {
                ContinueConnect();
            }
        }
    }

    private void ContinueReceive()
    {
        var received = Receive(Handle, _receiveBuffer.Span);
        var errno = received < 0 ? Errno : 0;
        if (errno == EAGAIN)
        {
            _mayHaveBytes = _peerClosed;
            return;
        }

        _mayHaveBytes = received == _receiveBuffer.Length || _peerClosed;
        _receivePending = false;
        _receiveBuffer = default;
        if (received >= 0)
        {
            _receive.Complete((int)received);
        }
        else
        {
            _receive.Fail(Error(errno));
        }
    }

    private void ContinueSend()
    {
        var errno = SendSome(ref _sendRemaining);
        if (errno == EAGAIN)
        {
            return;
        }

        _sendPending = false;
        _sendRemaining = default;
        if (errno == 0)
        {
            _send.Complete(0);
        }
        else
        {
            _send.Fail(Error(errno));
        }
    }

    private void ContinueConnect()
    {
        _connectPending = false;
        var errno = PendingError(Handle);
        if (errno == 0)
        {
            _send.Complete(0);
        }
        else
        {
            _send.Fail(Error(errno));
        }
    }

    /// <returns>0 once everything is sent, <see cref="EAGAIN"/> when the kernel takes no more now, or another errno.</returns>
    private int SendSome(ref ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var sent = Send(Handle, bytes.Span);
            if (sent < 0)
            {
                return Errno;
            }

            bytes = bytes[(int)sent..];
        }

        return 0;
    }

    private void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        Loop.Forget(_slot);
        // Closing the descriptor takes it out of the epoll set.
        LinuxSockets.Close(Handle);
        // Failed after the current work returns, so that the owner's continuation never runs inside its own call to Dispose.
        if (_receivePending)
        {
            _receivePending = false;
            Loop.Post(static operation => ((Operation)operation!).Fail(new ObjectDisposedException(nameof(LoopSocket))), _receive);
        }

        if (_sendPending || _connectPending)
        {
            _sendPending = _connectPending = false;
            Loop.Post(static operation => ((Operation)operation!).Fail(new ObjectDisposedException(nameof(LoopSocket))), _send);
        }
    }

    /// <summary>One reusable awaitable operation; its continuation runs inline where it completes (the loop's thread).</summary>
    private sealed class Operation : IValueTaskSource<int>, IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<int> _core;

        public ValueTask<int> Start()
        {
            _core.Reset();
            return new ValueTask<int>(this, _core.Version);
        }

        public ValueTask StartWithoutResult()
        {
            _core.Reset();
            return new ValueTask(this, _core.Version);
        }

        public void Complete(int result) => _core.SetResult(result);

        public void Fail(Exception error) => _core.SetException(error);

        public int GetResult(short token) => _core.GetResult(token);

        void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}

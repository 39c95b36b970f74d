using System.Net.Sockets;
using static OpenSandbox.Ingress.Proxy.FastPath.Loop.LinuxSockets;

namespace OpenSandbox.Ingress.Proxy.FastPath.Loop;

/// <summary>
/// Accepts connections from a listening socket that every loop shares, and serves them on its own loop: the kernel
/// wakes one loop per waiting connection (EPOLLEXCLUSIVE), as nginx's workers share a port, so a new connection costs
/// no hand-over between threads. Everything here runs on the loop's thread.
/// </summary>
internal sealed class LoopAcceptor(EventLoop loop, nint listener, Action<LoopSocket> accepted, Action<SocketError> failed) : ILoopHandler
{
    /// <summary>Then other events get their turn; the listening socket is level-triggered, so epoll reports the rest.</summary>
    private const int MaxPerEvent = 32;

    /// <summary>After running out of descriptors or memory: long enough for connections to close, short for clients.</summary>
    private static readonly TimeSpan PauseAfterFailure = TimeSpan.FromMilliseconds(100);

    private int _slot = -1;
    private bool _stopped;

    public EventLoop Loop => loop;

    public void Start()
    {
        if (_slot < 0 && !_stopped)
        {
            _slot = loop.Register(this, listener, EPOLLIN | EPOLLEXCLUSIVE);
        }
    }

    /// <summary>No more accepting on this loop; the listening socket stays open for its owner to close.</summary>
    public void Stop()
    {
        _stopped = true;
        StopListening();
    }

    public void OnEvents(uint events)
    {
        for (var i = 0; i < MaxPerEvent && _slot >= 0; i++)
        {
            var fd = Accept(listener, out var client);
            if (fd >= 0)
            {
                DisableNagle(fd);
                LoopSocket socket;
                try
                {
                    socket = new LoopSocket(fd, loop, client);
                }
                catch (SocketException e)
                {
                    // The epoll set could not take it (out of kernel memory): this connection closes, the loop goes on.
                    Close(fd);
                    failed(e.SocketErrorCode);
                    continue;
                }

                accepted(socket);
                continue;
            }

            switch (Errno)
            {
                case EAGAIN:
                    return;
                case ECONNABORTED or EPROTO or EPERM or EINTR:
                    // The client gave up before its connection was accepted.
                    continue;
                case var errno:
                    // Out of descriptors and the like: keep the port open and try again shortly.
                    failed(Error(errno).SocketErrorCode);
                    StopListening();
                    _ = Task.Delay(PauseAfterFailure).ContinueWith(
                        static (_, acceptor) => ((LoopAcceptor)acceptor!).Loop.Post(static a => ((LoopAcceptor)a!).Start(), acceptor),
                        this, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                    return;
            }
        }
    }

    private void StopListening()
    {
        if (_slot >= 0)
        {
            loop.Unregister(_slot, listener);
            _slot = -1;
        }
    }
}

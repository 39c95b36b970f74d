using System.Net;
using System.Net.Sockets;
using OpenSandbox.Ingress.Proxy.FastPath.Loop;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// The fast path's event loop and its sockets on real loopback connections: waiting, back-pressure, connecting,
/// closing from another thread, and handing a socket back to .NET's own operations.
/// </summary>
public sealed class EventLoopTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly EventLoop _loop = new(0);
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public EventLoopTests()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
    }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Posted_work_from_many_threads_runs_once_each_on_the_loop_thread()
    {
        const int Threads = 8, PerThread = 5_000;
        var ran = 0;
        var offLoop = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Action<object?> work = _ =>
        {
            if (!_loop.IsCurrentThread)
            {
                Interlocked.Increment(ref offLoop);
            }

            if (Interlocked.Increment(ref ran) == Threads * PerThread)
            {
                all.SetResult();
            }
        };

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                _loop.Post(work, null);
            }
        }, Cancel)));

        await all.Task.WaitAsync(Deadline, Cancel);
        Assert.Equal(Threads * PerThread, Volatile.Read(ref ran));
        Assert.Equal(0, offLoop);
    }

    [Fact]
    public void Posting_to_a_stopped_loop_runs_nothing_and_does_not_throw()
    {
        var stopped = new EventLoop(1);
        stopped.Dispose();
        var ran = false;

        for (var i = 0; i < 3; i++)
        {
            stopped.Post(_ => ran = true, null);
        }

        stopped.Dispose();
        Assert.False(ran);
    }

    [Fact]
    public async Task A_receive_waits_for_bytes_and_completes_on_the_loop_thread()
    {
        var (peer, socket) = await ConnectedPairAsync();
        var buffer = new byte[16];

        var receive = await OnLoopAsync(() => ValueTask.FromResult(ReceiveAsync()));
        Assert.False(receive.IsCompleted);

        await peer.SendAsync("hello"u8.ToArray(), Cancel);
        var (count, onLoop) = await receive.WaitAsync(Deadline, Cancel);

        Assert.Equal(5, count);
        Assert.Equal("hello"u8.ToArray(), buffer[..5]);
        Assert.True(onLoop);

        async Task<(int Count, bool OnLoop)> ReceiveAsync()
        {
            var count = await socket.ReceiveAsync(buffer);
            return (count, _loop.IsCurrentThread);
        }
    }

    [Fact]
    public async Task A_receive_returns_zero_when_the_peer_closes()
    {
        var (peer, socket) = await ConnectedPairAsync();

        var count = await OnLoopAsync(async () =>
        {
            var receive = socket.ReceiveAsync(new byte[16]);
            peer.Shutdown(SocketShutdown.Send);
            return await receive;
        });

        Assert.Equal(0, count);
    }

    [Fact]
    public async Task The_close_that_comes_with_the_last_bytes_is_seen_by_the_next_receive()
    {
        var (peer, socket) = await ConnectedPairAsync();
        var buffer = new byte[16];
        var receives = await OnLoopAsync(() => ValueTask.FromResult(ReceiveTwiceAsync()));
        Assert.False(receives.IsCompleted);

        // The loop is held while the bytes and the close arrive, so that one epoll event reports both.
        using var gate = new ManualResetEventSlim();
        _loop.Post(_ => gate.Wait(Deadline), null);
        await peer.SendAsync("abc"u8.ToArray(), Cancel);
        peer.Shutdown(SocketShutdown.Send);
        gate.Set();

        Assert.Equal((3, 0), await receives.WaitAsync(Deadline, Cancel));

        async Task<(int, int)> ReceiveTwiceAsync()
        {
            var first = await socket.ReceiveAsync(buffer);
            return (first, await socket.ReceiveAsync(buffer));
        }
    }

    [Fact]
    public async Task A_send_larger_than_the_socket_buffers_waits_for_the_reader_and_delivers_every_byte_in_order()
    {
        var (peer, socket) = await ConnectedPairAsync();
        var payload = Enumerable.Range(0, 16 * 1024 * 1024).Select(i => (byte)(i * 7)).ToArray();

        var (send, waited) = await OnLoopAsync(() =>
        {
            var pending = socket.SendAsync(payload);
            return ValueTask.FromResult((pending.AsTask(), !pending.IsCompleted));
        });
        var received = new byte[payload.Length];
        var total = 0;
        while (total < received.Length)
        {
            var count = await peer.ReceiveAsync(received.AsMemory(total), Cancel);
            Assert.NotEqual(0, count);
            total += count;
        }

        await send.WaitAsync(Deadline, Cancel);
        Assert.True(waited, "16 MiB fitted into the socket buffers: the test proves nothing about waiting");
        Assert.Equal(payload, received);
    }

    [Fact]
    public async Task Connecting_reaches_a_listener_and_reports_a_refused_port()
    {
        var port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var closedPort = ((IPEndPoint)closed.LocalEndPoint!).Port;

        var accepted = _listener.AcceptAsync(Cancel).AsTask();
        await OnLoopAsync(async () =>
        {
            var socket = LoopSocket.CreateTcp(AddressFamily.InterNetwork, _loop);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            await socket.SendAsync("x"u8.ToArray());
            socket.Dispose();
            return 0;
        });
        using var server = await accepted.WaitAsync(Deadline, Cancel);
        Assert.Equal(1, await server.ReceiveAsync(new byte[1], Cancel));

        var refused = await Assert.ThrowsAsync<SocketException>(() => OnLoopAsync(async () =>
        {
            using var socket = LoopSocket.CreateTcp(AddressFamily.InterNetwork, _loop);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, closedPort));
            return 0;
        }));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task Connecting_over_IPv6_reaches_a_listener()
    {
        using var listener = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        }
        catch (SocketException)
        {
            Assert.Skip("no IPv6 loopback on this machine");
        }

        listener.Listen();
        var accepted = listener.AcceptAsync(Cancel).AsTask();
        await OnLoopAsync(async () =>
        {
            using var socket = LoopSocket.CreateTcp(AddressFamily.InterNetworkV6, _loop);
            await socket.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
            await socket.SendAsync("6"u8.ToArray());
            return 0;
        });

        using var server = await accepted.WaitAsync(Deadline, Cancel);
        var buffer = new byte[1];
        Assert.Equal(1, await server.ReceiveAsync(buffer, Cancel));
        Assert.Equal((byte)'6', buffer[0]);
    }

    [Fact]
    public async Task Disposing_from_another_thread_fails_the_pending_receive()
    {
        var (_, socket) = await ConnectedPairAsync();
        var receive = await OnLoopAsync(() => ValueTask.FromResult(socket.ReceiveAsync(new byte[16]).AsTask()));

        await Task.Run(socket.Dispose, Cancel);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => receive.WaitAsync(Deadline, Cancel));
    }

    [Fact]
    public async Task A_detached_socket_works_with_dotnet_operations_and_the_loop_no_longer_sees_it()
    {
        var (peer, socket) = await ConnectedPairAsync();
        using var detached = await OnLoopAsync(() => ValueTask.FromResult(socket.Detach()!));

        await peer.SendAsync("after"u8.ToArray(), Cancel);
        var buffer = new byte[16];
        var count = await detached.ReceiveAsync(buffer, Cancel).AsTask().WaitAsync(Deadline, Cancel);

        Assert.Equal("after"u8.ToArray(), buffer[..count]);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _loop.Dispose();
    }

    /// <summary>A connected pair: a plain socket for the test and a loop socket for the other end.</summary>
    private async Task<(Socket Peer, LoopSocket Socket)> ConnectedPairAsync()
    {
        var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(_listener.LocalEndPoint!, Cancel);
        // Accepted as the fast path accepts: a descriptor and the client's address.
        var fd = LinuxSockets.Accept(_listener.SafeHandle.DangerousGetHandle(), out var client);
        Assert.True(fd >= 0, $"accept4 failed: {LinuxSockets.Errno}");
        Assert.Equal(IPAddress.Loopback, client);
        var socket = await OnLoopAsync(() => ValueTask.FromResult(new LoopSocket(fd, _loop, client)));
        return (peer, socket);
    }

    /// <summary>Runs <paramref name="work"/> on the loop's thread, as the fast path does, and hands back its outcome.</summary>
    private Task<T> OnLoopAsync<T>(Func<ValueTask<T>> work)
    {
        var outcome = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(_ => _ = RunAsync(), null);
        return outcome.Task.WaitAsync(Deadline, Cancel);

        async Task RunAsync()
        {
            try
            {
                outcome.SetResult(await work());
            }
            catch (Exception e)
            {
                outcome.SetException(e);
            }
        }
    }
}

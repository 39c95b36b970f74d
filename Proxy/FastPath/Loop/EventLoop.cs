using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;

namespace OpenSandbox.Ingress.Proxy.FastPath.Loop;

/// <summary>
/// One thread with an epoll set of its own, serving the fast path's sockets the way an nginx worker does: a client
/// connection and the sandbox connections it uses live on one loop, every operation on them starts and completes on
/// its thread (continuations run inline), and nothing about them needs a lock. Other threads hand it work through
/// <see cref="Post"/>. On the two-core bench .NET's socket engine (operation objects, locks, a handle table lookup
/// per event, and a client and its sandbox connection on different threads) cost more than all of the proxy's own
/// work (README, Performance).
/// </summary>
internal sealed unsafe class EventLoop : IDisposable
{
    private const int MaxEvents = 256;

    /// <summary>Event data of the loop's own eventfd; socket slots use the low 32 bits with a generation above.</summary>
    private const ulong WakeData = ulong.MaxValue;

    private readonly int _epoll;
    private readonly SafeFileHandle _wakeFd;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<(Action<object?> Action, object? State)> _posted = new();
    private readonly Stack<int> _freeSlots = new();
    private ILoopHandler?[] _handlers = new ILoopHandler?[64];
    private uint[] _generations = new uint[64];
    private int _usedSlots;
    private int _wakeRequested;
    private volatile bool _stopping;

    public EventLoop(int index)
    {
        Index = index;
        _epoll = LinuxSockets.CreateEpoll();
        _wakeFd = LinuxSockets.CreateEventFd();
        LinuxSockets.Add(_epoll, _wakeFd.DangerousGetHandle(), WakeData, LinuxSockets.EPOLLIN | LinuxSockets.EPOLLET);
        _thread = new Thread(Run) { IsBackground = true, Name = $"fast path {index}" };
        _thread.Start();
    }

    /// <summary>The loop's position among <see cref="EventLoops"/>: per-loop state (idle sandbox connections) is indexed by it.</summary>
    public int Index { get; }

    public bool IsCurrentThread => Thread.CurrentThread == _thread;

    /// <summary>
    /// Runs <paramref name="action"/> on the loop's thread, after the events it is handling now. Any thread. Once the
    /// loop has stopped, nothing posted runs (the process is shutting down).
    /// </summary>
    public void Post(Action<object?> action, object? state)
    {
        _posted.Enqueue((action, state));
        if (Interlocked.Exchange(ref _wakeRequested, 1) == 0)
        {
            Wake();
        }
    }

    /// <summary>Continues an async method on the loop's thread (at once when already there).</summary>
    public SwitchAwaitable SwitchTo() => new(this);

    /// <summary>Adds a descriptor to the epoll set, for <paramref name="events"/>. Loop thread only.</summary>
    /// <exception cref="SocketException">The epoll set cannot take it (out of kernel memory, or a descriptor limit).</exception>
    /// <returns>The slot that events for it carry.</returns>
    public int Register(ILoopHandler handler, nint fd, uint events)
    {
        Debug.Assert(IsCurrentThread);
        if (!_freeSlots.TryPop(out var slot))
        {
            if (_usedSlots == _handlers.Length)
            {
                Array.Resize(ref _handlers, _handlers.Length * 2);
                Array.Resize(ref _generations, _generations.Length * 2);
            }

            slot = _usedSlots++;
        }

        try
        {
            LinuxSockets.Add(_epoll, fd, ((ulong)_generations[slot] << 32) | (uint)slot, events);
        }
        catch (SocketException)
        {
            _freeSlots.Push(slot);
            throw;
        }

        _handlers[slot] = handler;
        return slot;
    }

    /// <summary>Takes a descriptor that stays open out of the epoll set; events already fetched for it are dropped. Loop thread only.</summary>
    public void Unregister(int slot, nint handle)
    {
        LinuxSockets.Remove(_epoll, handle);
        Forget(slot);
    }

    /// <summary>
    /// Frees the slot of a descriptor about to be closed (closing removes it from the epoll set, so no system call is
    /// spent on that); events already fetched for it are dropped. Loop thread only.
    /// </summary>
    public void Forget(int slot)
    {
        Debug.Assert(IsCurrentThread);
        _handlers[slot] = null;
        _generations[slot]++;
        _freeSlots.Push(slot);
    }

    /// <summary>Stops the thread once it has run what was posted before; sockets still registered are left to their owners.</summary>
    public void Dispose()
    {
        _stopping = true;
        Wake();
        if (!IsCurrentThread)
        {
            _thread.Join();
        }
    }

    private void Run()
    {
        var events = stackalloc byte[MaxEvents * LinuxSockets.EventSize];
        while (!_stopping)
        {
            var count = LinuxSockets.Wait(_epoll, events, MaxEvents);
            if (count < 0)
            {
                // EINTR (a signal, a debugger); nothing else can fail on a valid epoll descriptor.
                continue;
            }

            for (var i = 0; i < count; i++)
            {
                var data = LinuxSockets.EventData(events, i);
                if (data == WakeData)
                {
                    RunPosted();
                    continue;
                }

                var slot = (int)(uint)data;
                if (_handlers[slot] is { } handler && _generations[slot] == (uint)(data >> 32))
                {
                    handler.OnEvents(LinuxSockets.EventFlags(events, i));
                }
            }
        }

        _wakeFd.Dispose();
        LinuxSockets.Close(_epoll);
    }

    private void Wake()
    {
        try
        {
            LinuxSockets.Signal(_wakeFd);
        }
        catch (ObjectDisposedException)
        {
            // The loop has stopped.
        }
    }

    private void RunPosted()
    {
        // Cleared (with a full fence) before draining: a post that lands after this signals again, so none waits for
        // an unrelated event.
        LinuxSockets.Drain(_wakeFd);
        Interlocked.Exchange(ref _wakeRequested, 0);
        while (_posted.TryDequeue(out var work))
        {
            work.Action(work.State);
        }
    }

    public readonly struct SwitchAwaitable(EventLoop loop) : ICriticalNotifyCompletion
    {
        public bool IsCompleted => loop.IsCurrentThread;

        public SwitchAwaitable GetAwaiter() => this;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => loop.Post(static c => ((Action)c!)(), continuation);

        public void UnsafeOnCompleted(Action continuation) => OnCompleted(continuation);
    }
}

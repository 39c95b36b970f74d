using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OpenSandbox.Ingress.Proxy.FastPath.Loop;

/// <summary>
/// The Linux system calls the fast path's event loops make themselves: epoll, an eventfd to wake a loop, and
/// non-blocking receive, send and connect on sockets that .NET's own socket engine never sees.
/// </summary>
internal static unsafe partial class LinuxSockets
{
    public const int EAGAIN = 11;
    public const int EINTR = 4;
    public const int EINPROGRESS = 115;
    public const int ECONNABORTED = 103;
    public const int EPROTO = 71;
    public const int EPERM = 1;

    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLEXCLUSIVE = 1u << 28;
    public const uint EPOLLET = 1u << 31;

    /// <summary>Edge-triggered interest in reading, writing and the peer closing: what a connected socket registers.</summary>
    public const uint SocketEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

    private const int EPOLL_CTL_ADD = 1;
    private const int EPOLL_CTL_DEL = 2;
    private const int EPOLL_CLOEXEC = 0x80000;
    private const int EFD_CLOEXEC = 0x80000;
    private const int EFD_NONBLOCK = 0x800;
    private const int MSG_DONTWAIT = 0x40;
    private const int MSG_NOSIGNAL = 0x4000;
    private const int SOL_SOCKET = 1;
    private const int SO_ERROR = 4;
    private const int IPPROTO_TCP = 6;
    private const int TCP_NODELAY = 1;
    private const int AF_INET = 2;
    private const int AF_INET6 = 10;
    private const int SOCK_STREAM = 1;
    private const int SOCK_NONBLOCK = 0x800;
    private const int SOCK_CLOEXEC = 0x80000;
    private const int SHUT_RDWR = 2;
    private const short POLLIN = 1;

    /// <summary>
    /// <c>struct epoll_event</c> is packed on x86-64 (12 bytes, data at offset 4) and naturally aligned elsewhere
    /// (16 bytes, data at offset 8).
    /// </summary>
    public static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    public static int Errno => Marshal.GetLastPInvokeError();

    public static int CreateEpoll() => Check(epoll_create1(EPOLL_CLOEXEC));

    /// <summary>
    /// A safe handle, unlike the other descriptors here: other threads write to it, and one that writes after the loop
    /// has closed it must fail rather than write into whatever file reuses the number.
    /// </summary>
    public static SafeFileHandle CreateEventFd() => new(Check(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), ownsHandle: true);

    public static void Add(int epoll, nint fd, ulong data, uint events)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + DataOffset) = data;
        Check(epoll_ctl(epoll, EPOLL_CTL_ADD, (int)fd, ev));
    }

    public static void Remove(int epoll, nint fd) => epoll_ctl(epoll, EPOLL_CTL_DEL, (int)fd, null);

    /// <returns>The number of events in <paramref name="events"/>, or -1 (see <see cref="Errno"/>).</returns>
    public static int Wait(int epoll, byte* events, int capacity) => epoll_wait(epoll, events, capacity, -1);

    public static uint EventFlags(byte* events, int index) => *(uint*)(events + (index * EventSize));

    public static ulong EventData(byte* events, int index) => *(ulong*)(events + (index * EventSize) + DataOffset);

    /// <exception cref="ObjectDisposedException"><paramref name="eventFd"/> is closed.</exception>
    public static void Signal(SafeFileHandle eventFd)
    {
        ulong one = 1;
        write(eventFd, &one, sizeof(ulong));
    }

    public static void Drain(SafeFileHandle eventFd)
    {
        ulong count;
        read(eventFd, &count, sizeof(ulong));
    }

    public static void Close(nint fd) => close((int)fd);

    /// <summary>A connection waiting on a non-blocking listening socket, with the client's address.</summary>
    /// <returns>The connection's descriptor, or -1 (see <see cref="Errno"/>; <see cref="EAGAIN"/> when none is waiting).</returns>
    public static nint Accept(nint listener, out IPAddress? client)
    {
        // sockaddr_in6 is the largest address a TCP listener reports.
        var address = stackalloc byte[28];
        var length = 28;
        var fd = accept4((int)listener, address, &length, SOCK_CLOEXEC);
        client = fd >= 0 ? AddressOf(address) : null;
        return fd;
    }

    /// <summary>A non-blocking TCP socket with Nagle's algorithm off.</summary>
    public static nint CreateTcpSocket(AddressFamily family)
    {
        var fd = Check(socket(family == AddressFamily.InterNetworkV6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        DisableNagle(fd);
        return fd;
    }

    /// <summary>Small responses leave at once instead of waiting for the peer's acknowledgement.</summary>
    public static void DisableNagle(nint fd)
    {
        var one = 1;
        setsockopt((int)fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(int));
    }

    public static void ShutdownBoth(nint fd) => shutdown((int)fd, SHUT_RDWR);

    /// <summary>Whether bytes or the peer's close are waiting, without waiting.</summary>
    public static bool IsReadable(nint fd)
    {
        var poll = stackalloc int[2];
        poll[0] = (int)fd;
        ((short*)poll)[2] = POLLIN;
        ((short*)poll)[3] = 0;
        return LinuxSockets.poll(poll, 1, 0) > 0;
    }

    private static IPAddress? AddressOf(byte* address) => *(ushort*)address switch
    {
        AF_INET => new IPAddress(new ReadOnlySpan<byte>(address + 4, 4)),
        AF_INET6 => new IPAddress(new ReadOnlySpan<byte>(address + 8, 16), *(uint*)(address + 24)),
        _ => null,
    };

    /// <summary>Never blocks (MSG_DONTWAIT), whatever the socket's mode: accepted sockets need no mode change.</summary>
    /// <returns>Bytes received (0: the peer closed), or -1 (see <see cref="Errno"/>).</returns>
    public static nint Receive(nint fd, Span<byte> buffer)
    {
        fixed (byte* b = buffer)
        {
            return recv((int)fd, b, buffer.Length, MSG_DONTWAIT);
        }
    }

    /// <summary>Never blocks (MSG_DONTWAIT), and a closed peer is an error, not a SIGPIPE.</summary>
    /// <returns>Bytes the kernel took, or -1 (see <see cref="Errno"/>).</returns>
    public static nint Send(nint fd, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* b = bytes)
        {
            return send((int)fd, b, bytes.Length, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
    }

    /// <returns>0, or -1 (see <see cref="Errno"/>; <see cref="EINPROGRESS"/> while the handshake runs).</returns>
    public static int Connect(nint fd, SocketAddress address)
    {
        fixed (byte* a = address.Buffer.Span)
        {
            return connect((int)fd, a, address.Size);
        }
    }

    /// <summary>The outcome of a non-blocking connect, once the socket is writable: 0 or an errno.</summary>
    public static int PendingError(nint fd)
    {
        int error = 0, length = sizeof(int);
        return getsockopt((int)fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 ? error : Errno;
    }

    /// <summary>A <see cref="SocketException"/> with the code and message .NET would give for <paramref name="errno"/>.</summary>
    public static SocketException Error(int errno) => new((int)(errno switch
    {
        104 or 32 => SocketError.ConnectionReset,
        111 => SocketError.ConnectionRefused,
        110 => SocketError.TimedOut,
        113 => SocketError.HostUnreachable,
        101 => SocketError.NetworkUnreachable,
        103 => SocketError.ConnectionAborted,
        107 => SocketError.NotConnected,
        108 => SocketError.Shutdown,
        24 or 23 => SocketError.TooManyOpenSockets,
        105 or 12 => SocketError.NoBufferSpaceAvailable,
        _ => SocketError.SocketError,
    }));

    private static int Check(int result) => result >= 0 ? result : throw Error(Errno);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epoll, int op, int fd, byte* ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epoll, byte* events, int capacity, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int eventfd(uint initial, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(SafeFileHandle fd, ulong* value, nint length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(SafeFileHandle fd, ulong* value, nint length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int connect(int fd, byte* address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getsockopt(int fd, int level, int name, int* value, int* length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setsockopt(int fd, int level, int name, int* value, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int accept4(int fd, byte* address, int* length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int shutdown(int fd, int how);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int poll(int* fds, int count, int timeout);
}

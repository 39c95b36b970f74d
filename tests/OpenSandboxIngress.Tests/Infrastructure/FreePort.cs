using System.Net;
using System.Net.Sockets;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>A loopback port that is free, for servers whose port must be known before they start.</summary>
/// <remarks>
/// Ports come from just below the kernel's ephemeral range: a port from inside it (what binding to port 0 gives) can be
/// taken by any test's outgoing connection between this check and the server's own bind, which failed a run with
/// "address already in use". Below the range only listeners compete, and the counter keeps the tests of this process
/// from being handed the same port twice.
/// </remarks>
internal static class FreePort
{
    private const int Span = 10_000;
    private static readonly int First = EphemeralRangeStart() - Span;
    private static int _handedOut = Random.Shared.Next(Span);

    public static int Next()
    {
        for (var attempt = 0; attempt < Span; attempt++)
        {
            var port = First + Interlocked.Increment(ref _handedOut) % Span;
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // A listener of another process has it: try the next one.
            }
        }

        throw new InvalidOperationException($"no free port in {First}-{First + Span - 1}");
    }

    private static int EphemeralRangeStart()
    {
        const int LinuxDefault = 32_768;
        try
        {
            var start = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0]);
            return start > Span + 1_024 ? start : LinuxDefault;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return LinuxDefault;
        }
    }
}

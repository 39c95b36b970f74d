using System.Net;
using System.Net.Sockets;

namespace OpenSandbox.Ingress.Tests.Infrastructure;

/// <summary>A loopback port that was free a moment ago, for servers whose port must be known before they start.</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

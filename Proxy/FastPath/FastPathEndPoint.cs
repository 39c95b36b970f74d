using System.Net;

namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>The main port's address, marked so that Kestrel binds it with <see cref="FastPathListenerFactory"/>.</summary>
/// <param name="isAnyAddress">Every interface: IPv6 and IPv4 where the host has IPv6, IPv4 alone otherwise.</param>
internal sealed class FastPathEndPoint(IPEndPoint address, bool isAnyAddress) : EndPoint
{
    public IPEndPoint Address { get; } = address;

    public bool IsAnyAddress { get; } = isAnyAddress;

    public override string ToString() => Address.ToString();
}

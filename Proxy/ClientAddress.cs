using System.Net;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// The client address as the ingress reports it (<c>X-Forwarded-For</c>, the access log): a client reaching the
/// dual-stack listener over IPv4 appears as an IPv4-mapped IPv6 address, and is written as the plain IPv4 it is.
/// </summary>
internal static class ClientAddress
{
    public static IPAddress? Normalize(IPAddress? address) =>
        address is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : address;
}

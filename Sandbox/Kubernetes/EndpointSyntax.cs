namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>
/// An endpoint must be a bare host (IPv4, IPv6 or DNS name): anything with a scheme, port, path or
/// credentials in it is refused, so a resource can never point the ingress at an arbitrary URL.
/// </summary>
internal static class EndpointSyntax
{
    public static bool IsValidHost(string? endpoint) =>
        !string.IsNullOrWhiteSpace(endpoint)
        && Uri.CheckHostName(endpoint) is UriHostNameType.IPv4 or UriHostNameType.IPv6 or UriHostNameType.Dns;
}

using System.Globalization;

namespace OpenSandbox.Ingress.Sandbox;

/// <summary>
/// A sandbox's endpoint (pod IP or service name) and the destination for the port last asked for. Most sandboxes are
/// reached on one port, so a request usually finds its destination strings already built instead of concatenating
/// them again. Two addresses are equal when their endpoints are: the remembered destination is a cache, not data.
/// </summary>
internal sealed class SandboxAddress(string endpoint) : IEquatable<SandboxAddress>
{
    private SandboxDestination? _last;

    /// <summary>The endpoint with IPv6 literals bracketed, ready for <c>:port</c>.</summary>
    public string Host { get; } = endpoint.Contains(':', StringComparison.Ordinal) && !endpoint.StartsWith('[') ? $"[{endpoint}]" : endpoint;

    public SandboxDestination At(int port)
    {
        // A reference read and write each way: concurrent requests at worst build the same strings twice.
        if (_last is { } last && last.Port == port)
        {
            return last;
        }

        var authority = Host + ":" + port.ToString(CultureInfo.InvariantCulture);
        var destination = new SandboxDestination(authority, "http://" + authority, port);
        _last = destination;
        return destination;
    }

    public bool Equals(SandboxAddress? other) => other is not null && Host == other.Host;

    public override bool Equals(object? obj) => Equals(obj as SandboxAddress);

    public override int GetHashCode() => Host.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Host;
}

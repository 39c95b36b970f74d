namespace OpenSandbox.Ingress.Configuration;

/// <summary>How the target sandbox and port are read from a request (SPEC §4).</summary>
internal enum RoutingMode
{
    /// <summary>Routing header, then the Host header.</summary>
    Header,

    /// <summary>The first two path segments.</summary>
    Uri,
}

namespace OpenSandbox.Ingress.Sandbox;

/// <summary>Where one request goes: a sandbox endpoint and port, in the two forms forwarding needs.</summary>
/// <param name="Authority"><c>endpoint:port</c>, IPv6 literals bracketed: the <c>Host</c> the sandbox receives.</param>
/// <param name="Prefix"><c>http://endpoint:port</c>: the request URI up to the path.</param>
internal sealed record SandboxDestination(string Authority, string Prefix, int Port);

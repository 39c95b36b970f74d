namespace OpenSandbox.Ingress.Proxy;

/// <summary>Where one request goes, as read from the request before the sandbox is looked up.</summary>
/// <param name="SandboxId">The sandbox id, as written (Host labels are lower-cased).</param>
/// <param name="Port">The sandbox port, 1–65535.</param>
/// <param name="PathAndQuery">What the backend receives when the route is read unsigned.</param>
/// <param name="ForwardedPrefix">URI mode: the path prefix the ingress strips (for <c>X-Forwarded-Prefix</c>).</param>
/// <param name="Signature">The signed-route segments, when the route has their shape.</param>
/// <param name="SignedPathAndQuery">URI mode: what the backend receives when the signed prefix is stripped.</param>
/// <param name="SignedForwardedPrefix">URI mode: the prefix stripped when the route is read signed.</param>
internal sealed record SandboxRoute(
    string SandboxId,
    int Port,
    string PathAndQuery,
    string? ForwardedPrefix = null,
    RouteSignature? Signature = null,
    string? SignedPathAndQuery = null,
    string? SignedForwardedPrefix = null)
{
    /// <summary>What the backend receives and the prefix that was stripped, in the reading the access check chose.</summary>
    public (string PathAndQuery, string? ForwardedPrefix) Forwarded(bool readSigned) =>
        readSigned && SignedPathAndQuery is not null ? (SignedPathAndQuery, SignedForwardedPrefix) : (PathAndQuery, ForwardedPrefix);
}

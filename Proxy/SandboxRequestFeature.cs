using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// What the resolution stage decided for one request, set on the request's features for the stages after it (as
/// YARP's routing sets <c>IReverseProxyFeature</c>): the route as read, the sandbox found and allowed, and what the
/// sandbox receives. Afterwards the sandbox record changes when the hold stage sees a newer one, and the browser-session
/// stage takes its credential out of the target.
/// </summary>
/// <param name="PathAndQuery">The request target the sandbox receives (the signed prefix stripped when the access check read it so).</param>
/// <param name="ForwardedPrefix">URI mode: the path prefix stripped, for <c>X-Forwarded-Prefix</c> and the URI-mode rewrites; null when kept.</param>
internal sealed class SandboxRequestFeature(SandboxRoute route, SandboxRecord sandbox, string pathAndQuery, string? forwardedPrefix)
{
    public SandboxRoute Route { get; } = route;

    public SandboxRecord Sandbox { get; set; } = sandbox;

    public string PathAndQuery { get; set; } = pathAndQuery;

    public string? ForwardedPrefix { get; } = forwardedPrefix;

    /// <summary>URI mode: the sandbox receives the prefix too (<c>--uri-prefix keep</c> or its annotation).</summary>
    public bool KeptPrefix { get; init; }

    /// <summary>How the access check let the request in.</summary>
    public AccessDecision Access { get; init; }

    private SandboxDestination? _destination;

    /// <summary>Where the sandbox is reached; set by the readiness stage once the sandbox is routable.</summary>
    public SandboxDestination Destination
    {
        get => _destination ?? throw new InvalidOperationException("the sandbox has no destination before the readiness stage");
        set => _destination = value;
    }

    /// <summary>Set by the hold stage when the request goes to a sandbox that is not ready yet (<c>--hold-probe-port</c>).</summary>
    public PortProbe? Probe { get; set; }

    /// <summary>True once the forwarding stage sent the request; false when the ingress answered it itself.</summary>
    public bool Forwarded { get; set; }

    public string SandboxId => Route.SandboxId;

    public int Port => Route.Port;
}

namespace OpenSandbox.Ingress.Hosting;

/// <summary>Set once SIGTERM/SIGINT arrives: <c>/status.ok</c> turns 503 so load balancers stop sending (SPEC §12).</summary>
internal sealed class DrainState
{
    private volatile bool _draining;

    public bool IsDraining => _draining;

    public void Begin() => _draining = true;
}

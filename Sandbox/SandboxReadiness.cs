namespace OpenSandbox.Ingress.Sandbox;

/// <summary>Whether a sandbox can take traffic now and, when not, which of the known reasons stops it (SPEC §6, §13).</summary>
internal enum ReadinessState
{
    Ready,

    /// <summary>Running but not ready yet (replicas starting, a Ready condition that is not True).</summary>
    NotReady,

    /// <summary>Ready or not, there is nothing to forward to: no endpoint, or one that is not a host.</summary>
    NoEndpoint,
    Pausing,
    Paused,
    Resuming,
}

/// <summary>
/// The readiness of one sandbox as routing, holding and waking all read it: a state to decide on and the one line
/// a 503 names. Built once per resource version by the projections, never per request.
/// </summary>
/// <param name="Reason">Why the sandbox cannot take traffic (<c>sandbox not ready (ready: 0/1)</c>); null when ready.</param>
internal readonly record struct SandboxReadiness(ReadinessState State, string? Reason)
{
    public static SandboxReadiness Ready => default;

    public bool IsReady => State == ReadinessState.Ready;

    /// <summary>Paused, pausing or resuming: the sandbox is on its way to or from a pause.</summary>
    public bool IsPauseTransition => State is ReadinessState.Pausing or ReadinessState.Paused or ReadinessState.Resuming;

    public static SandboxReadiness NotReady(string reason) => new(ReadinessState.NotReady, reason);

    public static SandboxReadiness NoEndpoint(string reason) => new(ReadinessState.NoEndpoint, reason);
}

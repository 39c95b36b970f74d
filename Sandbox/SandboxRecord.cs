namespace OpenSandbox.Ingress.Sandbox;

/// <summary>
/// The few fields routing needs of one sandbox resource; the cache holds these, never whole objects.
/// </summary>
/// <param name="Endpoint">Pod IP or service name to forward to; null when there is none that can be used.</param>
/// <param name="AccessToken">Secure-access token; null when the sandbox does not require one.</param>
internal sealed record SandboxRecord(string Namespace, string Name, SandboxKind Kind, string? Endpoint, string? AccessToken,
    SandboxReadiness Readiness)
{
    /// <summary>The endpoint to forward to; null when there is none.</summary>
    public SandboxAddress? Address { get; } = Endpoint is null ? null : new SandboxAddress(Endpoint);

    /// <summary>URI mode: the sandbox's own <c>opensandbox.io/ingress-uri-prefix</c>; null follows <c>--uri-prefix</c>.</summary>
    public bool? KeepUriPrefix { get; init; }

    /// <summary>The lifecycle API resumes BatchSandboxes; an agent-sandbox is resumed by scaling it, which is not the door's job.</summary>
    public bool CanWake => Kind == SandboxKind.BatchSandbox && Readiness.State == ReadinessState.Paused;
}

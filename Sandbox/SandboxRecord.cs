namespace OpenSandbox.Ingress.Sandbox;

/// <summary>
/// The few fields routing needs of one sandbox resource; the cache holds these, never whole objects.
/// </summary>
/// <param name="Endpoint">Pod IP or service name to forward to; null when not routable.</param>
/// <param name="AccessToken">Secure-access token; null when the sandbox does not require one.</param>
/// <param name="NotReadyReason">Why the sandbox cannot take traffic now (answered 503); null when it can.</param>
/// <param name="NormalizedIds">agent-sandbox: reachable by the normalised forms of an id (SPEC §6.2), not only by its name.</param>
internal sealed record SandboxRecord(string Namespace, string Name, string? Endpoint, string? AccessToken, string? NotReadyReason,
    bool NormalizedIds = false)
{
    /// <summary>The endpoint to forward to; null when there is none.</summary>
    public SandboxAddress? Address { get; } = Endpoint is null ? null : new SandboxAddress(Endpoint);

    public bool RequiresSecureAccess => AccessToken is not null;

    /// <summary>BatchSandbox <c>status.phase</c> (<c>Pausing</c>, <c>Paused</c>, <c>Resuming</c>, <c>Succeed</c>…); null when unknown.</summary>
    public string? Phase { get; init; }
}

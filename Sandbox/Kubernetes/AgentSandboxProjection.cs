namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>agent-sandbox <c>Sandbox</c> (<c>agents.x-k8s.io/v1alpha1</c>) → routing record (SPEC §6.2).</summary>
internal static class AgentSandboxProjection
{
    public const string Kind = "Sandbox";

    public static SandboxRecord Project(string @namespace, string name, SandboxResource resource)
    {
        var fqdn = resource.Status?.ServiceFqdn?.Trim();
        var endpointProblem = string.IsNullOrEmpty(fqdn) ? "sandbox has no serviceFQDN"
            : EndpointSyntax.IsValidHost(fqdn) ? null
            : "sandbox serviceFQDN is not a valid host";
        return new SandboxRecord(@namespace, name, SandboxKind.AgentSandbox, endpointProblem is null ? fqdn : null,
            SandboxAnnotations.AccessToken(resource), Readiness(resource, endpointProblem))
        {
            KeepUriPrefix = SandboxAnnotations.KeepUriPrefix(resource),
        };
    }

    private static SandboxReadiness Readiness(SandboxResource resource, string? endpointProblem)
    {
        // v1alpha1 pauses a sandbox by scaling it to 0 (v1beta1 calls it operatingMode Suspended).
        if (resource.Spec?.Replicas == 0)
        {
            return new SandboxReadiness(ReadinessState.Paused, "sandbox is paused (replicas: 0)");
        }

        var conditions = resource.Status?.Conditions;
        var ready = conditions?.Find(static c => c.Type == "Ready");
        if (ready is null)
        {
            return SandboxReadiness.NotReady("sandbox not ready (no Ready condition)");
        }

        if (ready.Status != "True")
        {
            return SandboxReadiness.NotReady($"sandbox not ready ({ready.Reason ?? "no reason"}: {ready.Message ?? "no message"})");
        }

        return endpointProblem is null ? SandboxReadiness.Ready : SandboxReadiness.NoEndpoint(endpointProblem);
    }
}

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>Picks the projection for a resource by its kind; both sources use it, so they never disagree.</summary>
internal static class SandboxProjection
{
    public const string DefaultNamespace = "default";

    /// <summary>The record for one resource, or null with a reason when it cannot be routed at all.</summary>
    public static SandboxRecord? TryProject(SandboxResource resource, string? expectedKind, out string? skipReason)
    {
        var name = resource.Metadata?.Name;
        if (string.IsNullOrEmpty(name))
        {
            skipReason = "resource has no metadata.name";
            return null;
        }

        var kind = resource.Kind ?? expectedKind;
        if (expectedKind is not null && kind != expectedKind)
        {
            skipReason = $"resource {name} is of kind {kind}, expected {expectedKind}";
            return null;
        }

        var @namespace = string.IsNullOrEmpty(resource.Metadata?.Namespace) ? DefaultNamespace : resource.Metadata.Namespace;
        skipReason = null;
        switch (kind)
        {
            case BatchSandboxProjection.Kind:
                return BatchSandboxProjection.Project(@namespace, name, resource);
            case AgentSandboxProjection.Kind:
                return AgentSandboxProjection.Project(@namespace, name, resource);
            default:
                skipReason = $"resource {name} has unsupported kind '{kind}'";
                return null;
        }
    }
}

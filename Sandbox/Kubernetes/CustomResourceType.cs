namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>A watched custom resource: where it lives in the API and which kind its objects are.</summary>
internal sealed record CustomResourceType(string Group, string Version, string Plural, string Kind)
{
    public static readonly CustomResourceType BatchSandbox =
        new("sandbox.opensandbox.io", "v1alpha1", "batchsandboxes", BatchSandboxProjection.Kind);

    public static readonly CustomResourceType AgentSandbox =
        new("agents.x-k8s.io", "v1alpha1", "sandboxes", AgentSandboxProjection.Kind);

    /// <summary><c>/apis/{group}/{version}[/namespaces/{ns}]/{plural}</c>: cluster-wide when no namespace is given.</summary>
    public string CollectionPath(string? @namespace) =>
        @namespace is null
            ? $"/apis/{Group}/{Version}/{Plural}"
            : $"/apis/{Group}/{Version}/namespaces/{Uri.EscapeDataString(@namespace)}/{Plural}";
}

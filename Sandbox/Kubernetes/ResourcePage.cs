namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>One list page reduced to what routing reads, with what had to be skipped and why.</summary>
internal sealed class ResourcePage
{
    public ListMetadata? Metadata { get; set; }

    public List<SandboxResource> Items { get; } = [];

    /// <summary>Parser messages for items that are not valid resources.</summary>
    public List<string> Malformed { get; } = [];

    public List<OversizedObject> Oversized { get; } = [];
}

/// <summary>An object skipped for its size: how many bytes it had, and its name when the kept prefix showed it.</summary>
internal readonly record struct OversizedObject(long Bytes, string? Name);

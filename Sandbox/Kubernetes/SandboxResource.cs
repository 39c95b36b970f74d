using System.Text.Json.Serialization;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>
/// The fields of a BatchSandbox or agent-sandbox <c>Sandbox</c> custom resource that routing reads; every
/// other field is ignored while parsing, so the cache never holds whole objects.
/// </summary>
internal sealed class SandboxResource
{
    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; init; }

    [JsonPropertyName("kind")]
    public string? Kind { get; init; }

    [JsonPropertyName("metadata")]
    public ResourceMetadata? Metadata { get; init; }

    [JsonPropertyName("spec")]
    public SandboxSpec? Spec { get; init; }

    [JsonPropertyName("status")]
    public SandboxStatus? Status { get; init; }

    /// <summary>Set on <c>List</c> documents (<c>kind: List</c>, <c>BatchSandboxList</c>, ...).</summary>
    [JsonPropertyName("items")]
    public List<SandboxResource>? Items { get; init; }
}

internal sealed class ResourceMetadata
{
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("namespace")]
    public string? Namespace { get; init; }

    [JsonPropertyName("resourceVersion")]
    public string? ResourceVersion { get; init; }

    /// <summary>Only the annotations routing reads; the others are skipped unread.</summary>
    [JsonPropertyName("annotations")]
    public RoutingAnnotations? Annotations { get; init; }
}

/// <summary>
/// The annotations the ingress reads (SPEC §4.2, §6.1). Every other annotation is skipped while parsing, never
/// materialised: <c>kubectl.kubernetes.io/last-applied-configuration</c> alone can be as large as the whole object.
/// </summary>
internal sealed class RoutingAnnotations
{
    [JsonPropertyName(SandboxAnnotations.Endpoints)]
    public string? Endpoints { get; init; }

    [JsonPropertyName(SandboxAnnotations.SecureAccessToken)]
    public string? SecureAccessToken { get; init; }

    [JsonPropertyName(SandboxAnnotations.UriPrefix)]
    public string? UriPrefix { get; init; }
}

internal sealed class SandboxSpec
{
    [JsonPropertyName("replicas")]
    public int? Replicas { get; init; }
}

internal sealed class SandboxStatus
{
    /// <summary>BatchSandbox: number of ready replicas.</summary>
    [JsonPropertyName("ready")]
    public int? Ready { get; init; }

    /// <summary>BatchSandbox: number of replicas the controller observes.</summary>
    [JsonPropertyName("replicas")]
    public int? Replicas { get; init; }

    /// <summary>BatchSandbox: lifecycle phase (Pausing, Paused, Resuming, ...).</summary>
    [JsonPropertyName("phase")]
    public string? Phase { get; init; }

    /// <summary>agent-sandbox: the service name that reaches the sandbox pod.</summary>
    [JsonPropertyName("serviceFQDN")]
    public string? ServiceFqdn { get; init; }

    /// <summary>agent-sandbox: conditions, of which <c>Ready</c> decides routability.</summary>
    [JsonPropertyName("conditions")]
    public List<ResourceCondition>? Conditions { get; init; }
}

internal sealed class ResourceCondition
{
    [JsonPropertyName("type")]
    public string? Type { get; init; }

    [JsonPropertyName("status")]
    public string? Status { get; init; }

    [JsonPropertyName("reason")]
    public string? Reason { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }
}

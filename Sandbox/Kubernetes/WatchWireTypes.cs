using System.Text.Json.Serialization;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>The <c>metadata</c> of a list response: where the next page or the watch starts.</summary>
internal sealed class ListMetadata
{
    [JsonPropertyName("resourceVersion")]
    public string? ResourceVersion { get; init; }

    [JsonPropertyName("continue")]
    public string? Continue { get; init; }
}

/// <summary>
/// One line of a <c>watch=true</c> stream: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR. The object is parsed straight
/// into the routing fields (<see cref="SandboxResource"/>), or into a <c>Status</c> for ERROR; no document is kept.
/// </summary>
internal sealed record WatchEvent(string Type, SandboxResource? Object, ApiStatus? Status);

/// <summary>The API server's <c>Status</c> object, as sent with error responses and ERROR events.</summary>
internal sealed class ApiStatus
{
    [JsonPropertyName("code")]
    public int? Code { get; init; }

    [JsonPropertyName("reason")]
    public string? Reason { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }
}

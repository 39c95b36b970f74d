using System.Text.Json;
using System.Text.Json.Serialization;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>One page of a list response: the items and where the next page or the watch starts.</summary>
internal sealed class ResourceList
{
    [JsonPropertyName("metadata")]
    public ListMetadata? Metadata { get; init; }

    /// <summary>Kept as raw JSON so that one malformed item is skipped instead of failing the whole page.</summary>
    [JsonPropertyName("items")]
    public List<JsonElement>? Items { get; init; }
}

internal sealed class ListMetadata
{
    [JsonPropertyName("resourceVersion")]
    public string? ResourceVersion { get; init; }

    [JsonPropertyName("continue")]
    public string? Continue { get; init; }
}

/// <summary>One line of a <c>watch=true</c> stream: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.</summary>
internal sealed class WatchEvent
{
    [JsonPropertyName("type")]
    public string? Type { get; init; }

    /// <summary>The resource, or a <c>Status</c> for ERROR events; parsed once the type is known.</summary>
    [JsonPropertyName("object")]
    public JsonElement Object { get; init; }
}

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

using System.Text.Json.Serialization;

namespace OpenSandbox.Ingress.Proxy.Answers;

/// <summary>The JSON form of an answer (SPEC §5): <c>sandboxId</c> and <c>port</c> are null where unknown.</summary>
internal sealed record ErrorJson(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("sandboxId")] string? SandboxId,
    [property: JsonPropertyName("port")] int? Port);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ErrorJson))]
internal sealed partial class ErrorJsonContext : JsonSerializerContext;

using System.Text.Json.Serialization;

namespace OpenSandbox.Ingress.RenewIntent;

/// <summary>The JSON string pushed onto the Redis list (SPEC §9).</summary>
internal sealed record RenewIntentMessage(
    [property: JsonPropertyName("sandbox_id")] string SandboxId,
    [property: JsonPropertyName("observed_at")] string ObservedAt,
    [property: JsonPropertyName("port")] int Port,
    [property: JsonPropertyName("request_uri")] string RequestUri);

/// <summary>Source-generated JSON for the renew-intent payload.</summary>
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Default)]
[JsonSerializable(typeof(RenewIntentMessage))]
internal sealed partial class RenewIntentJsonContext : JsonSerializerContext;

using System.Text.Json.Serialization;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>Source-generated JSON for every sandbox type that is parsed (no reflection under Native AOT).</summary>
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(SandboxResource))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(ListMetadata))]
[JsonSerializable(typeof(ApiStatus))]
internal sealed partial class SandboxJsonContext : JsonSerializerContext;

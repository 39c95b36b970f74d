namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>Annotation keys the ingress reads (SPEC §6.1).</summary>
internal static class SandboxAnnotations
{
    public const string Endpoints = "sandbox.opensandbox.io/endpoints";
    public const string SecureAccessToken = "opensandbox.io/secure-access-token";

    public static string? EndpointsJson(SandboxResource resource) => resource.Metadata?.Annotations?.Endpoints;

    /// <summary>The token, trimmed; null when absent or empty (the sandbox then requires no secure access).</summary>
    public static string? AccessToken(SandboxResource resource) =>
        resource.Metadata?.Annotations?.SecureAccessToken?.Trim() is { Length: > 0 } token ? token : null;
}

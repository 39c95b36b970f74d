namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>Annotation keys the ingress reads (SPEC §6.1).</summary>
internal static class SandboxAnnotations
{
    public const string Endpoints = "sandbox.opensandbox.io/endpoints";
    public const string SecureAccessToken = "opensandbox.io/secure-access-token";
    public const string UriPrefix = "opensandbox.io/ingress-uri-prefix";

    public static string? EndpointsJson(SandboxResource resource) => resource.Metadata?.Annotations?.Endpoints;

    /// <summary>The token, trimmed; null when absent or empty (the sandbox then requires no secure access).</summary>
    public static string? AccessToken(SandboxResource resource) =>
        resource.Metadata?.Annotations?.SecureAccessToken?.Trim() is { Length: > 0 } token ? token : null;

    /// <summary>
    /// URI mode: <c>keep</c> or <c>strip</c> for this sandbox whatever <c>--uri-prefix</c> says; null (absent or any other
    /// value) follows the flag.
    /// </summary>
    public static bool? KeepUriPrefix(SandboxResource resource) => resource.Metadata?.Annotations?.UriPrefix?.Trim() switch
    {
        "keep" => true,
        "strip" => false,
        _ => null,
    };
}

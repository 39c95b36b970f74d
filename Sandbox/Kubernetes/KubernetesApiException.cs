using System.Net;

namespace OpenSandbox.Ingress.Sandbox.Kubernetes;

/// <summary>The API server answered with an error status (or an ERROR watch event).</summary>
internal sealed class KubernetesApiException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>410 Gone: the resource version is too old; only a fresh list helps.</summary>
    public bool IsGone => Status == HttpStatusCode.Gone;
}

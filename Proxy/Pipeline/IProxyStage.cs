using Microsoft.AspNetCore.Http;

namespace OpenSandbox.Ingress.Proxy.Pipeline;

/// <summary>
/// One step of the proxy pipeline (README, Architecture). A stage after resolution reads the request's
/// <see cref="SandboxRequestFeature"/>; it either answers the request itself or calls <paramref name="next"/>. A stage
/// whose feature is off is not registered at all.
/// </summary>
internal interface IProxyStage
{
    Task InvokeAsync(HttpContext context, RequestDelegate next);
}

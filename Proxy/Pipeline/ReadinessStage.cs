using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OpenSandbox.Ingress.Proxy.Answers;

namespace OpenSandbox.Ingress.Proxy.Pipeline;

/// <summary>
/// A sandbox that is not ready is answered 503 with its reason (SPEC §5, §6) and Retry-After; one that is gets its
/// destination. With holding on, the hold stage before this one has already waited for readiness, or sends the request
/// ahead of it with a port probe.
/// </summary>
internal sealed class ReadinessStage : IProxyStage
{
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Features.GetRequiredFeature<SandboxRequestFeature>();
        if (request.Sandbox is not { Address: { } address } || !(request.Sandbox.Readiness.IsReady || request.Probe is not null))
        {
            return Refusals.NotReady(request).WriteAsync(context);
        }

        request.Destination = address.At(request.Port);
        return next(context);
    }
}

using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Proxy.Pipeline;

namespace OpenSandbox.Ingress.RenewIntent;

/// <summary>
/// A request about to be forwarded to a ready sandbox is activity (SPEC §9): its renew intent is queued, never waited
/// for, unless the request says <c>OpenSandbox-Access-Renew: skip</c> (a health check, say).
/// </summary>
internal sealed class RenewIntentStage(IRenewIntents renewIntents) : IProxyStage
{
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Features.GetRequiredFeature<SandboxRequestFeature>();
        if (!string.Equals(context.Request.Headers[IngressHeaders.AccessRenew], IngressHeaders.AccessRenewSkip, StringComparison.OrdinalIgnoreCase))
        {
            renewIntents.Observe(request.SandboxId, request.Port, request.PathAndQuery);
        }

        return next(context);
    }
}

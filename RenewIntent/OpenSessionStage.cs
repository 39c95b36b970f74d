using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Proxy.Pipeline;

namespace OpenSandbox.Ingress.RenewIntent;

/// <summary>A forwarded request stays listed in <see cref="OpenSessions"/> while it runs, so a long one renews again (SPEC §9).</summary>
internal sealed class OpenSessionStage(OpenSessions sessions) : IProxyStage
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Features.GetRequiredFeature<SandboxRequestFeature>();
        using var session = sessions.Open(request.SandboxId, request.Port, request.PathAndQuery);
        await next(context);
    }
}

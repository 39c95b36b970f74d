using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using OpenSandbox.Ingress.Logging;

namespace OpenSandbox.Ingress.Proxy.Pipeline;

/// <summary>
/// Every request that is not the status probe: the registered stages in their order of registration, ending in the
/// forwarding stage, composed once at start-up; each finished request is then counted and logged.
/// </summary>
internal sealed class ProxyPipeline
{
    private readonly RequestDelegate _first;
    private readonly RequestLog _requestLog;

    public ProxyPipeline(IEnumerable<IProxyStage> stages, ForwardingStage forwarding, RequestLog requestLog)
    {
        RequestDelegate next = forwarding.InvokeAsync;
        foreach (var stage in stages.Reverse())
        {
            var after = next;
            next = context => stage.InvokeAsync(context, after);
        }

        _first = next;
        _requestLog = requestLog;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        await _first(context);
        var request = context.Request;
        var target = context.Features.Get<SandboxRequestFeature>() is { Forwarded: true } forwarded ? forwarded.Destination.Prefix : null;
        _requestLog.Completed(request.Method, request.Path.Value ?? "/", target, context.Response.StatusCode, Stopwatch.GetElapsedTime(started),
            context.Connection.RemoteIpAddress);
    }
}

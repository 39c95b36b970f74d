using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Logging;
using OpenSandbox.Ingress.Tracing;
using OpenSandbox.Ingress.Traffic;

namespace OpenSandbox.Ingress.Proxy.Pipeline;

/// <summary>
/// Every request that is not the status probe: the registered stages in their order of registration, ending in the
/// forwarding stage, composed once at start-up. Each request's body bytes are counted both ways, it gets a server
/// span when traces are on, and once finished it is counted and logged.
/// </summary>
internal sealed class ProxyPipeline
{
    private readonly RequestDelegate _first;
    private readonly RequestLog _requestLog;
    private readonly string _mode;

    public ProxyPipeline(IEnumerable<IProxyStage> stages, ForwardingStage forwarding, RequestLog requestLog, RoutingOptions routing)
    {
        RequestDelegate next = forwarding.InvokeAsync;
        foreach (var stage in stages.Reverse())
        {
            var after = next;
            next = context => stage.InvokeAsync(context, after);
        }

        _first = next;
        _requestLog = requestLog;
        _mode = routing.Mode == RoutingMode.Uri ? "uri" : "header";
    }

    public async Task InvokeAsync(HttpContext context)
    {
        // 1. The bodies counted (a request without one is left as it is), and the server span.
        var traffic = new RequestTraffic(Stopwatch.GetTimestamp());
        context.Features.Set(traffic);
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is not { CanHaveBody: false })
        {
            context.Request.Body = new CountingStream(context.Request.Body, traffic);
        }

        context.Response.Body = new CountingStream(context.Response.Body, traffic);
        using var span = IngressTracing.StartRequest(context);

        // 2. The stages.
        await _first(context);

        // 3. What the request did, in the span, the metrics and the access log.
        if (span is not null)
        {
            IngressTracing.EndRequest(span, context, context.Features.Get<SandboxRequestFeature>(), _mode, traffic);
        }

        _requestLog.Completed(context, traffic, span?.TraceId.ToHexString());
    }
}

using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Hosting;
using OpenSandbox.Ingress.Logging;
using OpenSandbox.Ingress.Metrics;
using Yarp.ReverseProxy.Forwarder;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// The full request path (SPEC §3–§8) for what the fast path leaves to Kestrel: health probe, routing decision,
/// forward through YARP, request log. Everything before the forward is answered from memory.
/// </summary>
internal sealed partial class IngressRequestHandler(
    RequestRouter router,
    IHttpForwarder forwarder,
    UpstreamClient upstream,
    RequestLog requestLog,
    IngressMetrics metrics,
    DrainState drain,
    WebSocketDrain webSockets,
    ILogger<IngressRequestHandler> logger)
{
    public const string StatusPath = "/status.ok";

    public Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Path.Value == StatusPath && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)))
        {
            return drain.IsDraining ? ErrorResponse.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "draining")
                : router.IsSynced ? WritePlainAsync(context, StatusCodes.Status200OK, "OK")
                : ErrorResponse.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "cache not synced");
        }

        return ProxyAndLogAsync(context);
    }

    private async Task ProxyAndLogAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var target = await ProxyAsync(context).ConfigureAwait(false);
        var request = context.Request;
        requestLog.Completed(request.Method, request.Path.Value ?? "/", target, context.Response.StatusCode, Stopwatch.GetElapsedTime(started),
            context.Connection.RemoteIpAddress, fastPath: false);
    }

    /// <returns>The destination the request was sent to, or null when the ingress answered itself.</returns>
    private async Task<string?> ProxyAsync(HttpContext context)
    {
        // 1. The ingress is no forward proxy; HTTP/2 extended CONNECT (WebSocket) is the one CONNECT it takes.
        if (HttpMethods.IsConnect(context.Request.Method) && context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect != true)
        {
            await ErrorResponse.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, "CONNECT is not supported").ConfigureAwait(false);
            return null;
        }

        // 2. Route, sandbox and access, from memory.
        var headers = context.Request.Headers;
        var decision = router.Decide(RouteReader.OriginFormTarget(context), name => headers[name]);
        if (!decision.IsForward)
        {
            await ErrorResponse.WriteAsync(context, decision.Status, decision.Reason!).ConfigureAwait(false);
            return null;
        }

        // 3. Forward (the routing decision has queued the renew intent).
        var destination = decision.Destination!;
        var transformer = new ForwardingTransformer(decision.PathAndQuery!, decision.ForwardedPrefix);
        var upgrade = webSockets.TryTrack(context);
        if (upgrade)
        {
            metrics.WebSocketOpened();
        }

        ForwarderError error;
        try
        {
            error = await forwarder.SendAsync(context, destination, upstream.Invoker, upstream.RequestConfig, transformer).ConfigureAwait(false);
        }
        finally
        {
            if (upgrade)
            {
                metrics.WebSocketClosed();
            }
        }

        if (error != ForwarderError.None)
        {
            await ReportForwardingErrorAsync(context, error, decision.Route!.SandboxId).ConfigureAwait(false);
        }

        return destination;
    }

    private async Task ReportForwardingErrorAsync(HttpContext context, ForwarderError error, string sandboxId)
    {
        var cause = context.Features.Get<IForwarderErrorFeature>()?.Exception?.GetBaseException();
        if (error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled
            or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeResponseCanceled)
        {
            LogClientGone(sandboxId, error);
            return;
        }

        LogForwardingFailed(sandboxId, error, cause?.Message ?? "-");
        if (cause is System.Net.Sockets.SocketException)
        {
            metrics.UpstreamConnectFailed();
        }

        // YARP has already chosen the status (502, or 504 on its activity timeout) when nothing was sent yet;
        // the response-headers deadline surfaces as a TimeoutException.
        var status = cause is TimeoutException ? StatusCodes.Status504GatewayTimeout
            : context.Response.StatusCode is >= 400 ? context.Response.StatusCode
            : StatusCodes.Status502BadGateway;
        var reason = status == StatusCodes.Status504GatewayTimeout
            ? $"sandbox {sandboxId} did not answer in time"
            : $"sandbox {sandboxId} is unreachable";
        await ErrorResponse.WriteAsync(context, status, reason).ConfigureAwait(false);
    }

    private static Task WritePlainAsync(HttpContext context, int statusCode, string body)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync(body);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding to sandbox {SandboxId} failed: {Error} {Detail}")]
    private partial void LogForwardingFailed(string sandboxId, ForwarderError error, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Client went away while forwarding to sandbox {SandboxId}: {Error}")]
    private partial void LogClientGone(string sandboxId, ForwarderError error);
}

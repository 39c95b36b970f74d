using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Logging;
using OpenSandbox.Ingress.Metrics;
using Yarp.ReverseProxy.Forwarder;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// Every request that is not the status probe (SPEC §4–§8): routing decision from memory, forward through YARP and
/// the one shared <see cref="HttpMessageInvoker"/>, request log.
/// </summary>
internal sealed partial class IngressRequestHandler(
    RequestRouter router,
    IHttpForwarder forwarder,
    UpstreamClient upstream,
    RequestLog requestLog,
    IngressMetrics metrics,
    WebSocketDrain webSockets,
    ILogger<IngressRequestHandler> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var target = await ProxyAsync(context).ConfigureAwait(false);
        var request = context.Request;
        requestLog.Completed(request.Method, request.Path.Value ?? "/", target, context.Response.StatusCode, Stopwatch.GetElapsedTime(started),
            context.Connection.RemoteIpAddress);
    }

    /// <returns>The destination the request was sent to, or null when the ingress answered itself.</returns>
    private async Task<string?> ProxyAsync(HttpContext context)
    {
        // 1. The ingress is no forward proxy; HTTP/2 extended CONNECT (WebSocket) is the one CONNECT it takes.
        var request = context.Request;
        if (HttpMethods.IsConnect(request.Method) && context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect != true)
        {
            await ErrorResponse.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, "CONNECT is not supported").ConfigureAwait(false);
            return null;
        }

        // 2. Route, sandbox and access, from memory.
        var decision = router.Decide(RouteReader.OriginFormTarget(context), request.Headers);
        if (decision.Destination is not { } destination)
        {
            await ErrorResponse.WriteAsync(context, decision.Status, decision.Reason!).ConfigureAwait(false);
            return null;
        }

        // 3. An upgrade is tracked so that shutdown can close it cleanly.
        var upgrade = webSockets.TryTrack(context);
        if (upgrade)
        {
            metrics.WebSocketOpened();
        }

        // 4. Forward (the routing decision has queued the renew intent).
        var transformer = new ForwardingTransformer(destination, decision.PathAndQuery!, decision.ForwardedPrefix);
        ForwarderError error;
        try
        {
            error = await forwarder.SendAsync(context, destination.Prefix, upstream.Invoker, upstream.RequestConfig, transformer).ConfigureAwait(false);
        }
        finally
        {
            if (upgrade)
            {
                metrics.WebSocketClosed();
            }
        }

        // 5. A failure before the response started is answered here; after that the connection is cut.
        var sandboxId = decision.Route!.SandboxId;
        if (error != ForwarderError.None)
        {
            await ReportForwardingErrorAsync(context, error, sandboxId).ConfigureAwait(false);
        }
        else if (transformer.RefusedResponse is { } refusal)
        {
            LogForwardingFailed(sandboxId, ForwarderError.ResponseHeaders, refusal);
            await ErrorResponse.WriteAsync(context, StatusCodes.Status502BadGateway, $"sandbox {sandboxId} is unreachable").ConfigureAwait(false);
        }

        return destination.Prefix;
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding to sandbox {SandboxId} failed: {Error} {Detail}")]
    private partial void LogForwardingFailed(string sandboxId, ForwarderError error, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Client went away while forwarding to sandbox {SandboxId}: {Error}")]
    private partial void LogClientGone(string sandboxId, ForwarderError error);
}

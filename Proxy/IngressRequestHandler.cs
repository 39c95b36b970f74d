using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Lifecycle;
using OpenSandbox.Ingress.Logging;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Proxy.Answers;
using OpenSandbox.Ingress.RenewIntent;
using Yarp.ReverseProxy.Forwarder;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// Every request that is not the status probe (SPEC §4–§8, §13): routing decision from memory (waiting for a sandbox
/// that is becoming ready, when holding is on), the per-sandbox limit, forward through YARP and the one shared
/// <see cref="HttpMessageInvoker"/>, request log.
/// </summary>
internal sealed partial class IngressRequestHandler(
    RequestRouter router,
    IHttpForwarder forwarder,
    UpstreamClient upstream,
    RequestLog requestLog,
    IngressMetrics metrics,
    WebSocketDrain webSockets,
    SandboxConcurrency? concurrency,
    OpenSessions? openSessions,
    SandboxLifecycle? lifecycle,
    bool rewriteUnderPrefix,
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
            await new ErrorResponse(ErrorCode.MethodNotAllowed, "CONNECT is not supported").WriteAsync(context).ConfigureAwait(false);
            return null;
        }

        // 2. Route, sandbox and access, from memory; a sandbox that exists but is not ready may be woken and waited for.
        var target = RouteReader.OriginFormTarget(context);
        var decision = router.Decide(target, request.Headers);
        if (decision.Refusal is { Code: ErrorCode.SandboxNotReady } notReady && lifecycle is not null)
        {
            try
            {
                decision = await lifecycle.AwaitRoutableAsync(target, request.Headers, decision, context.TraceIdentifier, context.RequestAborted)
                    .ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                LogClientGone(notReady.SandboxId!, ForwarderError.RequestCanceled);
                return null;
            }
        }

        if (decision.Refusal is { } refusal)
        {
            await refusal.WriteAsync(context).ConfigureAwait(false);
            return null;
        }

        // 3. A sandbox at its limit is refused before anything reaches it.
        var (route, destination) = (decision.Route!, decision.Destination!);
        if (concurrency is not null && !concurrency.TryEnter(route.SandboxId))
        {
            metrics.Refused(RefusalReason.SandboxLimit);
            await new ErrorResponse(ErrorCode.TooManyRequests,
                $"sandbox {route.SandboxId} is at its limit of {concurrency.Limit} concurrent requests", route.SandboxId, route.Port).WriteAsync(context).ConfigureAwait(false);
            return null;
        }

        // 4. An upgrade is tracked so that shutdown can close it cleanly.
        var upgrade = webSockets.TryTrack(context);
        if (upgrade)
        {
            metrics.WebSocketOpened();
        }

        // 5. Forward (the routing decision has queued the renew intent; a session still open renews again).
        var transformer = new ForwardingTransformer(destination, decision.PathAndQuery!, decision.ForwardedPrefix, rewriteUnderPrefix);
        var session = openSessions?.Open(route.SandboxId, route.Port, decision.PathAndQuery!);
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

            concurrency?.Exit(route.SandboxId);
            session?.Dispose();
        }

        // 6. A failure before the response started is answered here; after that the connection is cut.
        if (error != ForwarderError.None)
        {
            await ReportForwardingErrorAsync(context, error, route).ConfigureAwait(false);
        }
        else if (transformer.RefusedResponse is { } refusedResponse)
        {
            LogForwardingFailed(route.SandboxId, ForwarderError.ResponseHeaders, refusedResponse);
            await Unreachable(route).WriteAsync(context).ConfigureAwait(false);
        }

        return destination.Prefix;
    }

    private async Task ReportForwardingErrorAsync(HttpContext context, ForwarderError error, SandboxRoute route)
    {
        var cause = context.Features.Get<IForwarderErrorFeature>()?.Exception?.GetBaseException();
        if (error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled
            or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeResponseCanceled)
        {
            LogClientGone(route.SandboxId, error);
            return;
        }

        LogForwardingFailed(route.SandboxId, error, cause?.Message ?? "-");
        if (cause is System.Net.Sockets.SocketException)
        {
            metrics.UpstreamConnectFailed();
        }

        // YARP has already chosen the status (502, or 504 on its activity timeout) when nothing was sent yet;
        // the response-headers deadline surfaces as a TimeoutException.
        var answer = cause is TimeoutException || context.Response.StatusCode == StatusCodes.Status504GatewayTimeout
            ? new ErrorResponse(ErrorCode.SandboxTimeout, $"sandbox {route.SandboxId} did not answer in time", route.SandboxId, route.Port)
            : error == ForwarderError.RequestBodyClient
            ? new ErrorResponse(ErrorCode.RequestInvalid, "the request body could not be read", route.SandboxId, route.Port)
            : Unreachable(route);
        await answer.WriteAsync(context).ConfigureAwait(false);
    }

    private static ErrorResponse Unreachable(SandboxRoute route) =>
        new(ErrorCode.SandboxUnreachable, $"sandbox {route.SandboxId} is unreachable", route.SandboxId, route.Port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding to sandbox {SandboxId} failed: {Error} {Detail}")]
    private partial void LogForwardingFailed(string sandboxId, ForwarderError error, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Client went away while forwarding to sandbox {SandboxId}: {Error}")]
    private partial void LogClientGone(string sandboxId, ForwarderError error);
}

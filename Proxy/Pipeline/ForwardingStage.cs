using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Proxy.Answers;
using OpenSandbox.Ingress.Tracing;
using Yarp.ReverseProxy.Forwarder;

namespace OpenSandbox.Ingress.Proxy.Pipeline;

/// <summary>
/// The terminal stage (SPEC §7): the request goes to its sandbox through YARP and the one shared
/// <see cref="HttpMessageInvoker"/>, with the one shared <see cref="ForwardingTransformer"/>. A failure before the
/// response started is answered here; after that the connection is cut.
/// </summary>
internal sealed partial class ForwardingStage(
    IHttpForwarder forwarder,
    UpstreamClient upstream,
    ForwardingTransformer transformer,
    WebSocketDrain webSockets,
    IngressMetrics metrics,
    ILogger<ForwardingStage> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Features.GetRequiredFeature<SandboxRequestFeature>();

        // 1. An upgrade is tracked so that shutdown can close it cleanly.
        var upgrade = webSockets.TryTrack(context);
        if (upgrade)
        {
            metrics.WebSocketOpened();
        }

        // 2. Forward, inside the upstream span when traces are on.
        request.Forwarded = true;
        ForwarderError error;
        using (var span = IngressTracing.Source.StartActivity("upstream", ActivityKind.Client))
        {
            span?.SetTag("server.address", request.Destination.Prefix);
            try
            {
                var config = GrpcAnswer.IsGrpc(context.Request) ? upstream.GrpcRequestConfig : upstream.RequestConfig;
                error = await forwarder.SendAsync(context, request.Destination.Prefix, upstream.Invoker, config, transformer);
            }
            finally
            {
                if (upgrade)
                {
                    metrics.WebSocketClosed();
                }
            }

            span?.SetTag("http.response.status_code", context.Response.StatusCode);
            if (error != ForwarderError.None)
            {
                span?.SetStatus(ActivityStatusCode.Error, error.ToString());
            }
        }

        // 3. A failure before the response started is answered here.
        if (error != ForwarderError.None)
        {
            await ReportAsync(context, error, request);
        }
    }

    private Task ReportAsync(HttpContext context, ForwarderError error, SandboxRequestFeature request)
    {
        var cause = context.Features.Get<IForwarderErrorFeature>()?.Exception?.GetBaseException();
        if (cause is PortProbeEndedException)
        {
            // The sandbox's port never accepted this request: the hold answers it, or forwards it again, as any held
            // request; what YARP set for its failure (a 502, the error feature) must not stay behind for either.
            request.Forwarded = false;
            context.Response.Clear();
            context.Features.Set<IForwarderErrorFeature>(null);
            return Task.CompletedTask;
        }

        if (error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled
            or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeResponseCanceled)
        {
            LogClientGone(request.SandboxId, error);
            return Task.CompletedTask;
        }

        LogForwardingFailed(request.SandboxId, error, cause?.Message ?? "-");
        if (cause is System.Net.Sockets.SocketException)
        {
            metrics.UpstreamConnectFailed();
        }

        // YARP has already chosen the status (502, or 504 on its activity timeout) when nothing was sent yet;
        // the response-headers deadline surfaces as a TimeoutException.
        var answer = cause is TimeoutException || context.Response.StatusCode == StatusCodes.Status504GatewayTimeout
            ? new ErrorResponse(ErrorCode.SandboxTimeout, $"sandbox {request.SandboxId} did not answer in time", request.SandboxId, request.Port)
            : error == ForwarderError.RequestBodyClient
            ? new ErrorResponse(ErrorCode.RequestInvalid, "the request body could not be read", request.SandboxId, request.Port)
            : Refusals.Unreachable(request);
        return answer.WriteAsync(context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding to sandbox {SandboxId} failed: {Error} {Detail}")]
    private partial void LogForwardingFailed(string sandboxId, ForwarderError error, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Client went away while forwarding to sandbox {SandboxId}: {Error}")]
    private partial void LogClientGone(string sandboxId, ForwarderError error);
}

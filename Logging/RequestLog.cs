using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Traffic;

namespace OpenSandbox.Ingress.Logging;

/// <summary>
/// What every finished request leaves behind: its count, duration and bytes in the metrics and, at <c>info</c> and
/// below, an access-log line (the access log decides; it only queues the entry). An upgraded connection also leaves a
/// line when it opens.
/// </summary>
internal sealed class RequestLog(IngressMetrics metrics, AccessLog accessLog, TimeProvider time)
{
    public void Completed(HttpContext context, RequestTraffic traffic, string? traceId)
    {
        var status = context.Response.StatusCode;
        var elapsed = Stopwatch.GetElapsedTime(traffic.Started);
        metrics.RequestCompleted(status, elapsed, traffic);
        accessLog.Write(Entry(context, status, elapsed, traffic, traceId, status == StatusCodes.Status101SwitchingProtocols ? UpgradeLine.Closed : UpgradeLine.None));
    }

    /// <summary>The sandbox accepted an upgrade: the connection is open from now until <see cref="Completed"/>.</summary>
    public void UpgradeOpened(HttpContext context, RequestTraffic traffic) =>
        accessLog.Write(Entry(context, StatusCodes.Status101SwitchingProtocols, Stopwatch.GetElapsedTime(traffic.Started), traffic,
            Activity.Current?.TraceId.ToHexString(), UpgradeLine.Opened));

    private AccessLogEntry Entry(HttpContext context, int status, TimeSpan elapsed, RequestTraffic traffic, string? traceId, UpgradeLine upgrade)
    {
        var request = context.Request;
        var target = context.Features.Get<SandboxRequestFeature>() is { Forwarded: true } forwarded ? forwarded.Destination.Prefix : null;
        return new AccessLogEntry(time.GetUtcNow(), request.Method, request.Path.Value ?? "/", target, status, elapsed.TotalMilliseconds,
            context.Connection.RemoteIpAddress, traceId, traffic.Received, traffic.Sent, upgrade);
    }
}

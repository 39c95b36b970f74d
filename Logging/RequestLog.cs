using System.Net;
using OpenSandbox.Ingress.Metrics;

namespace OpenSandbox.Ingress.Logging;

/// <summary>
/// What every finished request leaves behind: its count and duration in the metrics and, at <c>info</c> and below,
/// an access-log line (the access log decides; it only queues the entry).
/// </summary>
internal sealed class RequestLog(IngressMetrics metrics, AccessLog accessLog, TimeProvider time)
{
    /// <param name="target">The destination forwarded to, or null when the ingress answered itself.</param>
    public void Completed(string method, string path, string? target, int status, TimeSpan elapsed, IPAddress? client)
    {
        metrics.RequestCompleted(status, elapsed);
        accessLog.Write(new AccessLogEntry(time.GetUtcNow(), method, path, target, status, elapsed.TotalMilliseconds, client));
    }
}

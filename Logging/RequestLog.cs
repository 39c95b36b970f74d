using System.Net;
using OpenSandbox.Ingress.Metrics;

namespace OpenSandbox.Ingress.Logging;

/// <summary>
/// What every finished request leaves behind, whichever path served it: its count and duration in the metrics and,
/// at <c>info</c> (<paramref name="accessLog"/> is null above), an access-log line.
/// </summary>
internal sealed class RequestLog(IngressMetrics metrics, AccessLog? accessLog, TimeProvider time)
{
    /// <param name="target">The destination forwarded to, or null when the ingress answered itself.</param>
    /// <param name="fastPath">Served by the HTTP/1.1 fast path rather than the full handler.</param>
    public void Completed(string method, string path, string? target, int status, TimeSpan elapsed, IPAddress? client, bool fastPath)
    {
        metrics.RequestCompleted(status, elapsed, fastPath);
        accessLog?.Write(new AccessLogEntry(time.GetUtcNow(), method, path, target, status, elapsed.TotalMilliseconds, client));
    }
}

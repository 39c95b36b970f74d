using System.Net;

namespace OpenSandbox.Ingress.Logging;

/// <summary>Which line of an upgraded connection an entry is; a plain request has one line.</summary>
internal enum UpgradeLine
{
    None,
    Opened,
    Closed,
}

/// <summary>What one request leaves in the access log; formatted later, off the request path.</summary>
/// <param name="TraceId">The request's trace id when it has a span (SPEC §15); null otherwise.</param>
/// <param name="Received">Body bytes received from the client (for an upgraded connection: all bytes from the client).</param>
/// <param name="Sent">Body bytes sent to the client (for an upgraded connection: all bytes to the client).</param>
internal readonly record struct AccessLogEntry(
    DateTimeOffset At, string Method, string Path, string? Target, int Status, double DurationMs, IPAddress? Client,
    string? TraceId = null, long Received = 0, long Sent = 0, UpgradeLine Upgrade = UpgradeLine.None);

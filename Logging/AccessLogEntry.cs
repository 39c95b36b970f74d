using System.Net;

namespace OpenSandbox.Ingress.Logging;

/// <summary>What one request leaves in the access log; formatted later, off the request path.</summary>
internal readonly record struct AccessLogEntry(
    DateTimeOffset At, string Method, string Path, string? Target, int Status, double DurationMs, IPAddress? Client);

using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Logging;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Proxy.FastPath.Loop;

namespace OpenSandbox.Ingress.Proxy.FastPath;

/// <summary>
/// The HTTP/1.1 fast path on the main port (<see cref="FastPathListener"/> accepts its connections). It serves the common request (a known
/// method, a plain target, a body already received in full) itself: the routing decision is the full handler's
/// (<see cref="RequestRouter"/>), the ingress's own answers are the same lines, and forwarding goes over a pooled sandbox
/// connection without building an <c>HttpContext</c>, an <c>HttpRequestMessage</c> or a header dictionary: on two
/// cores that per-request work, not the network, kept the ingress behind nginx. Every other request (upgrades,
/// streamed or chunked uploads, health probes, anything unusual) hands the connection to Kestrel's HTTP/1.1 pipeline
/// and the full handler, bytes already received included, so those keep the exact behaviour they had.
/// </summary>
internal sealed partial class FastPathProxy(
    IngressOptions options,
    RequestRouter router,
    RequestLog requestLog,
    IngressMetrics metrics,
    EventLoops loops,
    UpstreamPool pool,
    OpenConnections connections,
    ILogger<FastPathProxy> logger)
{
    public IngressOptions Options { get; } = options;

    public RequestRouter Router { get; } = router;

    public RequestLog RequestLog { get; } = requestLog;

    public IngressMetrics Metrics { get; } = metrics;

    public EventLoops Loops { get; } = loops;

    public UpstreamPool Pool { get; } = pool;

    public OpenConnections Connections { get; } = connections;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding to sandbox {SandboxId} failed: {Detail}")]
    public partial void LogForwardingFailed(string sandboxId, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "Fast-path connection failed")]
    public partial void LogConnectionFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Client went away while forwarding to sandbox {SandboxId}")]
    public partial void LogClientGone(string sandboxId);
}

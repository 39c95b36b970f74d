using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Lifecycle;
using OpenSandbox.Ingress.Logging;
using OpenSandbox.Ingress.RenewIntent;
using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Tracing;
using OpenSandbox.Ingress.Traffic;
using OpenSandbox.Ingress.Version;

namespace OpenSandbox.Ingress.Metrics;

/// <summary>
/// Every metric the ingress exports, on one <see cref="Meter"/>. No instrument has a per-sandbox label: with thousands
/// of sandboxes that would be thousands of series. Counts are plain fields read by observable instruments, so every
/// family (each status class included) is exported from start-up with 0, and dashboards and <c>rate()</c> alerts have
/// something to read on a quiet ingress. Only the duration histogram appears with the first request: a histogram has
/// no zero reading.
/// </summary>
internal sealed class IngressMetrics : IDisposable
{
    public const string MeterName = "OpenSandbox.Ingress";

    private static readonly string[] StatusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"];

    /// <summary>Label values of <see cref="HoldEnd"/>, in its order.</summary>
    private static readonly string[] HoldEnds = ["ready", "port", "deadline", "deleted", "wake_failed", "refused", "client_gone"];

    /// <summary>Label values of <see cref="RefusalReason"/>, in its order.</summary>
    private static readonly string[] RefusalReasons = ["sandbox_limit"];

    private readonly Meter _meter = new(MeterName, BuildInfo.Version);
    private readonly long[] _requests = new long[StatusClasses.Length];
    private readonly KeyValuePair<string, object?>[] _statusClassTags;
    private readonly Histogram<double> _duration;
    private readonly KeyValuePair<string, object?> _mode;
    private readonly long[] _refused = new long[RefusalReasons.Length];
    private long _upstreamConnectFailures;
    private long _upstreamConnectRetries;
    private long _waiting;
    private long _wakeAccepted;
    private long _wakeFailed;
    private readonly Histogram<double> _waitDuration;
    private readonly KeyValuePair<string, object?>[] _holdEndTags;
    private long _portProbeServed;
    private long _bytesReceived;
    private long _bytesSent;
    private long _activeWebSockets;
    private long _openConnections;
    private long _watchRestarts;
    private long _relists;

    /// <param name="log">The one log writer, whose dropped lines are counted here.</param>
    /// <param name="spans">The span export queue, when traces are on.</param>
    public IngressMetrics(RoutingOptions routing, SandboxDirectory directory, RenewIntentCounters renewIntents, LogWriter log, SpanExportQueue? spans = null)
    {
        _mode = new("mode", routing.Mode == RoutingMode.Uri ? "uri" : "header");
        _statusClassTags = Array.ConvertAll(StatusClasses, statusClass => new KeyValuePair<string, object?>("status_class", statusClass));
        _meter.CreateObservableCounter("opensandbox_ingress_requests", RequestCounts, description: "Requests handled, by routing mode and status class.");
        _duration = _meter.CreateHistogram<double>("opensandbox_ingress_request_duration", unit: "s",
            description: "Time from request start to the end of the response (or tunnel).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _meter.CreateObservableCounter("opensandbox_ingress_upstream_connect_failures", () => Volatile.Read(ref _upstreamConnectFailures),
            description: "Requests whose sandbox could not be connected to (502).");
        _meter.CreateObservableCounter("opensandbox_ingress_upstream_connect_retries", () => Volatile.Read(ref _upstreamConnectRetries),
            description: "Sandbox connections refused while connecting and tried again (--upstream-connect-retry).");
        _meter.CreateObservableUpDownCounter("opensandbox_ingress_connections_open", () => Volatile.Read(ref _openConnections),
            description: "Client connections open now on the proxy listeners (--max-connections caps each listener).");
        _meter.CreateObservableUpDownCounter("opensandbox_ingress_websockets_active", () => Volatile.Read(ref _activeWebSockets),
            description: "Upgraded connections open now.");
        _meter.CreateObservableCounter("opensandbox_ingress_refused", RefusalCounts,
            description: "Requests refused before reaching their sandbox, by reason (sandbox_limit: --max-requests-per-sandbox).");
        _meter.CreateObservableUpDownCounter("opensandbox_ingress_requests_waiting", () => Waiting,
            description: "Requests waiting now for their sandbox to become ready (--hold-timeout).");
        _holdEndTags = Array.ConvertAll(HoldEnds, end => new KeyValuePair<string, object?>("ended", end));
        _waitDuration = _meter.CreateHistogram<double>("opensandbox_ingress_wait_duration", unit: "s",
            description: "How long requests waited for their sandbox, by how the wait ended (ready, port, deadline, deleted, wake_failed, refused, client_gone).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] });
        _meter.CreateObservableCounter("opensandbox_ingress_hold_port_served", () => Volatile.Read(ref _portProbeServed),
            description: "Held requests sent to their sandbox once its port accepted, before the cache showed it ready (--hold-probe-port).");
        _meter.CreateObservableCounter("opensandbox_ingress_wake_calls", () => new Measurement<long>[]
        {
            new(Volatile.Read(ref _wakeAccepted), new KeyValuePair<string, object?>("result", "accepted")),
            new(Volatile.Read(ref _wakeFailed), new KeyValuePair<string, object?>("result", "failed")),
        }, description: "Resume calls to the lifecycle API by result (--wake-on-request).");
        _meter.CreateObservableCounter("opensandbox_ingress_watch_restarts", () => Volatile.Read(ref _watchRestarts),
            description: "Kubernetes list or watch failures retried.");
        _meter.CreateObservableCounter("opensandbox_ingress_relists", () => Volatile.Read(ref _relists), description: "Full lists that replaced the cache.");
        _meter.CreateObservableGauge("opensandbox_ingress_sandboxes", () => (long)directory.Count, description: "Sandboxes in the cache.");
        _meter.CreateObservableGauge("opensandbox_ingress_cache_synced", () => directory.IsSynced ? 1 : 0,
            description: "1 once the cache has completed its first sync.");
        _meter.CreateObservableCounter("opensandbox_ingress_renew_intents", () => new Measurement<long>[]
        {
            new(renewIntents.Published, new KeyValuePair<string, object?>("outcome", "published")),
            new(renewIntents.Throttled, new KeyValuePair<string, object?>("outcome", "throttled")),
            new(renewIntents.Dropped, new KeyValuePair<string, object?>("outcome", "dropped")),
            new(renewIntents.Failed, new KeyValuePair<string, object?>("outcome", "failed")),
        }, description: "Renew intents by outcome.");
        _meter.CreateObservableCounter("opensandbox_ingress_bytes", () => new Measurement<long>[]
        {
            new(Volatile.Read(ref _bytesReceived), new KeyValuePair<string, object?>("direction", "received")),
            new(Volatile.Read(ref _bytesSent), new KeyValuePair<string, object?>("direction", "sent")),
        }, unit: "By", description: "Body bytes received from and sent to clients (upgraded connections: all bytes each way), counted when a request ends.");
        _meter.CreateObservableCounter("opensandbox_ingress_spans", () => new Measurement<long>[]
        {
            new(spans?.Exported ?? 0, new KeyValuePair<string, object?>("outcome", "exported")),
            new(spans?.Dropped ?? 0, new KeyValuePair<string, object?>("outcome", "dropped")),
        }, description: "Finished spans handed to the OTLP exporter, or dropped because its queue was full.");
        _meter.CreateObservableCounter("opensandbox_ingress_log_lines_dropped", () => log.Dropped,
            description: "Log lines of any kind (access lines included) dropped because stdout did not keep up with the log budget.");
        _meter.CreateObservableGauge("opensandbox_ingress_build_info", () => new Measurement<int>(1,
            new KeyValuePair<string, object?>("version", BuildInfo.Version),
            new KeyValuePair<string, object?>("git_commit", BuildInfo.GitCommit),
            new KeyValuePair<string, object?>("build_time", BuildInfo.BuildTime),
            new KeyValuePair<string, object?>("runtime", BuildInfo.Runtime)), description: "Build information; the value is always 1.");
    }

    public void RequestCompleted(int statusCode, TimeSpan duration, RequestTraffic traffic)
    {
        Interlocked.Add(ref _bytesReceived, traffic.Received);
        Interlocked.Add(ref _bytesSent, traffic.Sent);
        var statusClass = statusCode is >= 100 and < 600 ? (statusCode / 100) - 1 : StatusClasses.Length - 1;
        Interlocked.Increment(ref _requests[statusClass]);
        _duration.Record(duration.TotalSeconds, new TagList { _mode, _statusClassTags[statusClass] });
    }

    public void UpstreamConnectFailed() => Interlocked.Increment(ref _upstreamConnectFailures);

    public void UpstreamConnectRetried() => Interlocked.Increment(ref _upstreamConnectRetries);

    public long UpstreamConnectRetries => Volatile.Read(ref _upstreamConnectRetries);

    /// <summary>Requests waiting now for their sandbox (the <c>requests_waiting</c> gauge).</summary>
    public long Waiting => Volatile.Read(ref _waiting);

    public void HoldStarted() => Interlocked.Increment(ref _waiting);

    public void HoldEnded(TimeSpan waited, HoldEnd end)
    {
        Interlocked.Decrement(ref _waiting);
        _waitDuration.Record(waited.TotalSeconds, _holdEndTags[(int)end]);
    }

    public void PortProbeServed() => Interlocked.Increment(ref _portProbeServed);

    public long PortProbesServed => Volatile.Read(ref _portProbeServed);

    public void WakeCalled(bool accepted) => Interlocked.Increment(ref accepted ? ref _wakeAccepted : ref _wakeFailed);

    public void Refused(RefusalReason reason) => Interlocked.Increment(ref _refused[(int)reason]);

    public void ConnectionOpened() => Interlocked.Increment(ref _openConnections);

    public void ConnectionClosed() => Interlocked.Decrement(ref _openConnections);

    public long OpenConnections => Volatile.Read(ref _openConnections);

    public void WebSocketOpened() => Interlocked.Increment(ref _activeWebSockets);

    public void WebSocketClosed() => Interlocked.Decrement(ref _activeWebSockets);

    public void WatchRestarted() => Interlocked.Increment(ref _watchRestarts);

    public long WatchRestarts => Volatile.Read(ref _watchRestarts);

    public void Relisted() => Interlocked.Increment(ref _relists);

    public void Dispose() => _meter.Dispose();

    private Measurement<long>[] RequestCounts()
    {
        var counts = new Measurement<long>[StatusClasses.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = new Measurement<long>(Volatile.Read(ref _requests[i]), _mode, _statusClassTags[i]);
        }

        return counts;
    }

    private Measurement<long>[] RefusalCounts()
    {
        var counts = new Measurement<long>[RefusalReasons.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = new Measurement<long>(Volatile.Read(ref _refused[i]), new KeyValuePair<string, object?>("reason", RefusalReasons[i]));
        }

        return counts;
    }
}

/// <summary>Why a request was refused before it reached its sandbox.</summary>
internal enum RefusalReason
{
    SandboxLimit,
}

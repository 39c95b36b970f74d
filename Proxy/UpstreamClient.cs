using System.Net;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Metrics;
using Yarp.ReverseProxy.Forwarder;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// The one pooled HTTP client every sandbox is reached through (SPEC §7): no proxy, no redirects, no
/// cookies, no decompression; connections are pooled per endpoint:port.
/// </summary>
internal sealed class UpstreamClient : IDisposable
{
    public UpstreamClient(UpstreamOptions options, LifecycleOptions lifecycle, TimeProvider time, IngressMetrics metrics)
    {
        var sockets = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = options.ConnectTimeout,
            // Pods come and go behind the same IP: do not keep a connection longer than a few minutes.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = options.PoolIdleTimeout,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = null,
        };
        // The headers deadline is outermost, so connection retries (port probes included) count against it.
        HttpMessageHandler handler = options.ConnectRetry > TimeSpan.Zero || lifecycle.HoldProbePort
            ? new ConnectRetryHandler(options.ConnectRetry, time, metrics.UpstreamConnectRetried, sockets)
            : sockets;
        Invoker = new HttpMessageInvoker(options.ResponseTimeout is { } timeout ? new ResponseHeadersTimeoutHandler(timeout, handler) : handler);
        RequestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = options.IdleTimeout,
            // Sandboxes speak HTTP/1.1 in clear text; WebSockets that arrive over HTTP/2 go out as HTTP/1.1 upgrades.
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        GrpcRequestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = options.IdleTimeout,
            // gRPC needs HTTP/2 and trailers: cleartext HTTP/2 with prior knowledge (h2c), never a downgrade. The handler
            // keeps these connections in a pool of their own beside the HTTP/1.1 ones.
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    public HttpMessageInvoker Invoker { get; }

    public ForwarderRequestConfig RequestConfig { get; }

    /// <summary>For gRPC calls (<see cref="Answers.GrpcAnswer.IsGrpc"/>): HTTP/2 to the sandbox.</summary>
    public ForwarderRequestConfig GrpcRequestConfig { get; }

    public void Dispose() => Invoker.Dispose();
}

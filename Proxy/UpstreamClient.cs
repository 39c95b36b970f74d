using System.Net;
using Yarp.ReverseProxy.Forwarder;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// The one pooled HTTP client every sandbox is reached through (SPEC §7): no proxy, no redirects, no
/// cookies, no decompression; connections are pooled per endpoint:port.
/// </summary>
internal sealed class UpstreamClient : IDisposable
{
    /// <param name="responseHeadersTimeout">Null: wait as long as the sandbox takes (long polls).</param>
    /// <param name="connectRetry">Zero: a refused connection is answered 502 at once.</param>
    /// <param name="onConnectRetry">Called for every retried connection (a metric).</param>
    public UpstreamClient(TimeSpan connectTimeout, TimeSpan idleTimeout, TimeSpan poolIdleTimeout, TimeSpan? responseHeadersTimeout,
        TimeSpan connectRetry, TimeProvider time, Action onConnectRetry)
    {
        var sockets = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = connectTimeout,
            // Pods come and go behind the same IP: do not keep a connection longer than a few minutes.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = poolIdleTimeout,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = null,
        };
        // The headers deadline is outermost, so connection retries count against it.
        HttpMessageHandler handler = connectRetry > TimeSpan.Zero ? new ConnectRetryHandler(connectRetry, time, onConnectRetry, sockets) : sockets;
        Invoker = new HttpMessageInvoker(responseHeadersTimeout is { } timeout ? new ResponseHeadersTimeoutHandler(timeout, handler) : handler);
        RequestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = idleTimeout,
            // Sandboxes speak HTTP/1.1 in clear text; WebSockets that arrive over HTTP/2 go out as HTTP/1.1 upgrades.
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
    }

    public HttpMessageInvoker Invoker { get; }

    public ForwarderRequestConfig RequestConfig { get; }

    public void Dispose() => Invoker.Dispose();
}

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Logging;
using OpenSandbox.Ingress.Traffic;

namespace OpenSandbox.Ingress.Proxy;

/// <summary>
/// Open WebSockets at shutdown (SPEC §12): they may run until the drain deadline, where each gets a 1001 close frame
/// at a frame boundary instead of a reset. Upgraded streams are registered here by wrapping the request's upgrade
/// feature before YARP takes it.
/// </summary>
internal sealed partial class WebSocketDrain(RequestLog requestLog, ILogger<WebSocketDrain> logger)
{
    private readonly ConcurrentDictionary<ClosableTunnelStream, byte> _open = new();

    /// <summary>
    /// For an upgrade over HTTP/1.1 or an HTTP/2 extended CONNECT, makes the tunnel closable at shutdown; call before
    /// forwarding. Returns false for every other request.
    /// </summary>
    public bool TryTrack(HttpContext context)
    {
        // A request forwarded a second time (after a port probe the hold abandoned) is wrapped once.
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
        {
            if (upgrade is not TrackedUpgrade)
            {
                context.Features.Set<IHttpUpgradeFeature>(new TrackedUpgrade(upgrade, this, context));
            }

            return true;
        }

        // Extended CONNECT is a CONNECT: other requests skip the feature lookup, which HTTP/1.1 connections answer slowly.
        if (HttpMethods.IsConnect(context.Request.Method) && context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
        {
            if (connect is not TrackedExtendedConnect)
            {
                context.Features.Set<IHttpExtendedConnectFeature>(new TrackedExtendedConnect(connect, this, context));
            }

            return true;
        }

        return false;
    }

    /// <summary>Closes every WebSocket still open when <paramref name="delay"/> has passed.</summary>
    public async Task CloseAllAfterAsync(TimeSpan delay)
    {
        await Task.Delay(delay);
        var open = _open.Keys.ToArray();
        if (open.Length > 0)
        {
            LogClosing(open.Length);
            await Task.WhenAll(open.Select(stream => stream.CloseAsync()));
        }
    }

    /// <summary>The tunnel is open: its bytes are counted from here, and the access log gets its opening line.</summary>
    private Stream Register(Stream upgraded, HttpContext context)
    {
        var traffic = context.Features.GetRequiredFeature<RequestTraffic>();
        requestLog.UpgradeOpened(context, traffic);
        var stream = new ClosableTunnelStream(new CountingStream(upgraded, traffic), closed => _open.TryRemove(closed, out _));
        _open[stream] = 0;
        return stream;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Drain deadline: closing {Count} open WebSockets with 1001")]
    private partial void LogClosing(int count);

    private sealed class TrackedUpgrade(IHttpUpgradeFeature inner, WebSocketDrain drain, HttpContext context) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => inner.IsUpgradableRequest;

        public async Task<Stream> UpgradeAsync() => drain.Register(await inner.UpgradeAsync(), context);
    }

    private sealed class TrackedExtendedConnect(IHttpExtendedConnectFeature inner, WebSocketDrain drain, HttpContext context) : IHttpExtendedConnectFeature
    {
        public bool IsExtendedConnect => inner.IsExtendedConnect;

        public string? Protocol => inner.Protocol;

        public async ValueTask<Stream> AcceptAsync() => drain.Register(await inner.AcceptAsync(), context);
    }
}

using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>An open WebSocket through the ingress executable while it receives SIGTERM.</summary>
[Collection(SerialCollection.Name)]
public sealed class WebSocketDrainTests : IAsyncLifetime
{
    private BackendAndManifest _sandbox = null!;

    public async ValueTask InitializeAsync() => _sandbox = await BackendAndManifest.StartAsync("ws");

    public ValueTask DisposeAsync() => _sandbox.DisposeAsync();

    [Fact]
    public async Task A_websocket_keeps_working_while_draining_and_is_closed_with_1001_at_the_deadline()
    {
        await using var ingress = await _sandbox.StartIngressAsync("--drain-timeout", "3", "--log-level", "warn");
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader(IngressHeaders.IngressTo, _sandbox.RoutingKey);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{ingress.Port}/ws"), TestContext.Current.CancellationToken);
        var buffer = new byte[1024];

        var clock = System.Diagnostics.Stopwatch.StartNew();
        ingress.SendSigterm();
        // Draining has begun once the listener refuses new connections (no --shutdown-delay); the open socket must still work.
        await Eventually.WaitAsync(() => RefusesConnectionsAsync(ingress.Port), refused => refused, TimeSpan.FromSeconds(5),
            "the listener closing after SIGTERM");
        await socket.SendAsync("still here"u8.ToArray(), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);
        var echo = await socket.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
        Assert.Equal("still here", Encoding.UTF8.GetString(buffer, 0, echo.Count));

        var closing = await socket.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
        var closedAfter = clock.Elapsed;
        Assert.Equal(WebSocketMessageType.Close, closing.MessageType);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, socket.CloseStatus);
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, TestContext.Current.CancellationToken);

        Assert.Equal(0, await ingress.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.InRange(closedAfter, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(3.5));
        TestContext.Current.TestOutputHelper!.WriteLine($"1001 received {closedAfter.TotalSeconds:F2} s after SIGTERM (drain timeout 3 s)");
    }

    private static async Task<bool> RefusesConnectionsAsync(int port)
    {
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await probe.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }
}

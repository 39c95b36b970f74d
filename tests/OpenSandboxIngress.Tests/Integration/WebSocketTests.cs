using System.Net;
using System.Net.WebSockets;
using System.Text;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>Real <see cref="ClientWebSocket"/>s through the in-process ingress to a real backend's WebSocket echo.</summary>
public sealed class WebSocketTests : IAsyncLifetime
{
    private TestBackend _backend = null!;
    private InProcessIngress _ingress = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        _ingress = await InProcessIngress.StartAsync(manifests: new Dictionary<string, string>
        {
            ["ws.yaml"] = Manifests.BatchSandbox("ws-box"),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _ingress.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private ClientWebSocket NewClient()
    {
        var client = new ClientWebSocket();
        client.Options.SetRequestHeader(IngressHeaders.IngressTo, $"ws-box-{_backend.Port}");
        return client;
    }

    private Uri WsUri(Uri listener, string path) => new($"ws://{listener.Authority}{path}");

    [Fact]
    public async Task Text_and_binary_messages_echo_and_the_subprotocol_is_negotiated_end_to_end()
    {
        using var client = NewClient();
        client.Options.AddSubProtocol("terminal.v2");
        await client.ConnectAsync(WsUri(_ingress.BaseAddress, "/ws"), TestContext.Current.CancellationToken);

        Assert.Equal("terminal.v2", client.SubProtocol);
        Assert.Equal("hello", await RoundTripTextAsync(client, "hello"));
        var binary = new byte[] { 0, 1, 2, 255, 254 };
        await client.SendAsync(binary, WebSocketMessageType.Binary, true, TestContext.Current.CancellationToken);
        var buffer = new byte[16];
        var received = await client.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketMessageType.Binary, received.MessageType);
        Assert.Equal(binary, buffer[..received.Count]);
        Assert.Equal("/ws", _backend.LastRequest.RawTarget);
    }

    [Fact]
    public async Task Custom_header_cookie_and_forwarding_headers_reach_the_backend()
    {
        using var client = NewClient();
        client.Options.SetRequestHeader("X-Custom", "abc");
        client.Options.Cookies = new CookieContainer();
        client.Options.Cookies.Add(new Uri($"http://{_ingress.BaseAddress.Authority}/"), new Cookie("session", "s1"));
        await client.ConnectAsync(WsUri(_ingress.BaseAddress, "/ws"), TestContext.Current.CancellationToken);

        Assert.Equal("cookie=session=s1;custom=abc;xff=127.0.0.1", await RoundTripTextAsync(client, "headers"));
        Assert.Null(_backend.LastRequest.Header(IngressHeaders.IngressTo));
    }

    [Fact]
    public async Task The_backend_close_code_reaches_the_client()
    {
        using var client = NewClient();
        await client.ConnectAsync(WsUri(_ingress.BaseAddress, "/ws"), TestContext.Current.CancellationToken);

        await client.SendAsync("close-4001"u8.ToArray(), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);
        var received = await client.ReceiveAsync(new byte[64], TestContext.Current.CancellationToken);

        Assert.Equal(WebSocketMessageType.Close, received.MessageType);
        Assert.Equal(4001, (int)client.CloseStatus!.Value);
        Assert.Equal("custom close", client.CloseStatusDescription);
    }

    [Fact]
    public async Task Connection_keep_alive_Upgrade_is_accepted()
    {
        var handshake = "GET /ws HTTP/1.1\r\n" +
                        $"Host: ws-box-{_backend.Port}.example.com\r\n" +
                        "Connection: keep-alive, Upgrade\r\n" +
                        "Upgrade: websocket\r\n" +
                        "Sec-WebSocket-Version: 13\r\n" +
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        var (_, head) = await RawHttp.SendAsync(_ingress.BaseAddress.Port, Encoding.ASCII.GetBytes(handshake), RawHttp.DefaultDeadline);

        Assert.StartsWith("HTTP/1.1 101", head);
        Assert.Contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", head);
    }

    [Fact]
    public async Task A_refused_upgrade_has_the_backend_response_passed_back()
    {
        using var client = NewClient();
        client.Options.CollectHttpResponseDetails = true;

        await Assert.ThrowsAsync<WebSocketException>(() =>
            client.ConnectAsync(WsUri(_ingress.BaseAddress, "/ws-forbidden"), TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.Forbidden, client.HttpStatusCode);
    }

    [Fact]
    public async Task WebSocket_over_http2_cleartext_reaches_an_http11_backend()
    {
        using var client = NewClient();
        client.Options.HttpVersion = HttpVersion.Version20;
        client.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        using var handler = new SocketsHttpHandler();
        using var invoker = new HttpMessageInvoker(handler);

        await client.ConnectAsync(WsUri(_ingress.H2cAddress, "/ws"), invoker, TestContext.Current.CancellationToken);

        Assert.Equal("over h2", await RoundTripTextAsync(client, "over h2"));
        Assert.Equal("HTTP/1.1", _backend.LastRequest.Protocol);
    }

    private static async Task<string> RoundTripTextAsync(ClientWebSocket client, string text)
    {
        await client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);
        var buffer = new byte[4096];
        var received = await client.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketMessageType.Text, received.MessageType);
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
    }
}

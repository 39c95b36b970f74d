using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>What each request moved (SPEC §10): body bytes each way on its access line, tunnel bytes for an upgraded connection.</summary>
public sealed class TrafficProcessTests : IAsyncLifetime
{
    private const int MiB = 1 << 20;
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(30) };
    private BackendAndManifest _sandbox = null!;
    private IngressProcess _ingress = null!;
    private int _metricsPort;

    public async ValueTask InitializeAsync()
    {
        _sandbox = await BackendAndManifest.StartAsync("mover");
        _metricsPort = FreePort.Next();
        _ingress = await _sandbox.StartIngressAsync("--metrics-port", _metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _ingress.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    private Uri At(string path) => new($"http://127.0.0.1:{_ingress.Port}{path}");

    /// <summary>The State of the access line for <paramref name="path"/>, once it is written.</summary>
    private async Task<JsonElement> AccessLineAsync(string path, string? upgrade = null)
    {
        var line = await Eventually.WaitAsync(() => Task.FromResult(_ingress.Output.Split('\n').FirstOrDefault(l =>
                l.Contains("\"Category\":\"OpenSandbox.Ingress.Access\"", StringComparison.Ordinal) && l.Contains($"\"Path\":\"{path}\"", StringComparison.Ordinal)
                && (upgrade is null || l.Contains($"\"Upgrade\":\"{upgrade}\"", StringComparison.Ordinal)))),
            l => l is not null, TimeSpan.FromSeconds(10), $"the access line of {path}");
        return JsonDocument.Parse(line!).RootElement.GetProperty("State");
    }

    [Fact]
    public async Task A_one_MiB_upload_and_download_are_counted_on_their_access_lines_and_in_the_metrics()
    {
        var upload = new HttpRequestMessage(HttpMethod.Post, At("/upload")) { Content = new ByteArrayContent(new byte[MiB]) };
        upload.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, _sandbox.RoutingKey);
        using (var response = await _client.SendAsync(upload, TestContext.Current.CancellationToken))
        {
            Assert.Equal(MiB.ToString(System.Globalization.CultureInfo.InvariantCulture), await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        var download = new HttpRequestMessage(HttpMethod.Get, At($"/download?bytes={MiB}"));
        download.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, _sandbox.RoutingKey);
        using (var response = await _client.SendAsync(download, TestContext.Current.CancellationToken))
        {
            Assert.Equal(MiB, (await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken)).Length);
        }

        var uploaded = await AccessLineAsync("/upload");
        var downloaded = await AccessLineAsync("/download");
        Assert.Equal((MiB, 7L), (uploaded.GetProperty("BytesReceived").GetInt64(), uploaded.GetProperty("BytesSent").GetInt64()));
        Assert.Equal((0L, (long)MiB), (downloaded.GetProperty("BytesReceived").GetInt64(), downloaded.GetProperty("BytesSent").GetInt64()));
        var metrics = new Uri($"http://127.0.0.1:{_metricsPort}");
        Assert.True(await MetricsScrape.ValueAsync(metrics, "opensandbox_ingress_bytes_total", "direction=\"received\"") >= MiB);
        Assert.True(await MetricsScrape.ValueAsync(metrics, "opensandbox_ingress_bytes_total", "direction=\"sent\"") >= MiB);
    }

    [Fact]
    public async Task A_WebSocket_is_logged_when_it_opens_and_with_its_bytes_each_way_and_duration_when_it_closes()
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader(IngressHeaders.IngressTo, _sandbox.RoutingKey);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{_ingress.Port}/ws"), TestContext.Current.CancellationToken);
        var opened = await AccessLineAsync("/ws", "opened");
        Assert.Equal(101, opened.GetProperty("Status").GetInt32());

        // Three binary messages of 1,000 bytes echoed back, then a close without a reason (the sandbox answers "bye").
        var message = new byte[1000];
        var echo = new byte[2000];
        for (var i = 0; i < 3; i++)
        {
            await socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, TestContext.Current.CancellationToken);
            Assert.Equal(1000, (await socket.ReceiveAsync(echo, TestContext.Current.CancellationToken)).Count);
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, TestContext.Current.CancellationToken);

        // From the client: masked frames of 2 + 2 (length) + 4 (mask) + 1,000 bytes, and a close of 2 + 4 + 2.
        // To the client: 2 + 2 + 1,000 bytes each, and a close of 2 + 2 + "bye".
        var closed = await AccessLineAsync("/ws", "closed");
        Assert.Equal((3 * 1008) + 8, closed.GetProperty("BytesReceived").GetInt64());
        Assert.Equal((3 * 1004) + 7, closed.GetProperty("BytesSent").GetInt64());
        Assert.True(closed.GetProperty("DurationMs").GetDouble() >= opened.GetProperty("DurationMs").GetDouble());
    }
}

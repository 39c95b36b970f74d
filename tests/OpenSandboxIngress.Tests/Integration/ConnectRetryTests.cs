using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// A ready sandbox whose server starts listening only after the ingress's first connection to it was refused (SPEC §13,
/// retry): with <c>--upstream-connect-retry</c> the request is answered by it, without the window it is 502.
/// </summary>
public sealed class ConnectRetryTests
{
    [Theory]
    [InlineData(2.0, HttpStatusCode.OK)]
    [InlineData(0.0, HttpStatusCode.BadGateway)]
    public async Task A_port_that_opens_late_is_reached_within_the_retry_window(double retrySeconds, HttpStatusCode expected)
    {
        var port = FreePort.Next();
        await using var ingress = await InProcessIngress.StartAsync(
            configure: o => o with { Upstream = o.Upstream with { ConnectRetry = TimeSpan.FromSeconds(retrySeconds) } },
            manifests: new Dictionary<string, string> { ["late.yaml"] = Manifests.BatchSandbox("late") });
        using var client = new HttpClient();
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(ingress.BaseAddress, "/start")) { Content = new StringContent("body") };
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, $"late-{port}");

        var metrics = ingress.Services.GetRequiredService<IngressMetrics>();

        var sent = client.SendAsync(request, TestContext.Current.CancellationToken);
        // The port opens once the ingress has been refused and is retrying, or (without a window) has already answered.
        await Eventually.WaitAsync(() => Task.FromResult(sent.IsCompleted || metrics.UpstreamConnectRetries > 0),
            refused => refused, TimeSpan.FromSeconds(10), "a refused connection retried, or the answer");
        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        var served = ServeOnceAsync(listener);
        using var response = await sent;

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.OK)
        {
            Assert.Equal("late", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            Assert.StartsWith("POST /start HTTP/1.1", await served, StringComparison.Ordinal);
        }
    }

    /// <summary>Answers one request with "late" and returns what it received.</summary>
    private static async Task<string> ServeOnceAsync(TcpListener listener)
    {
        using var connection = await listener.AcceptTcpClientAsync();
        var stream = connection.GetStream();
        var buffer = new byte[8192];
        var received = new StringBuilder();
        while (!received.ToString().EndsWith("\r\n\r\nbody", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                break;
            }

            received.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }

        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nlate"u8.ToArray());
        return received.ToString();
    }
}

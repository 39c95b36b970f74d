using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>The TLS listener (SPEC §14): ALPN, the certificate read again when its files change, WebSockets over HTTP/2.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly TestCertificates _certificates = new();
    private readonly CapturingLoggerProvider _logs = new();
    private TestBackend _backend = null!;
    private InProcessIngress _ingress = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        _certificates.Issue("first");
        _ingress = await InProcessIngress.StartAsync(
            configure: o => o with { Listen = o.Listen with { TlsPort = FreePort.Next(), TlsCertFile = _certificates.CertFile, TlsKeyFile = _certificates.KeyFile } },
            manifests: new Dictionary<string, string> { ["app.yaml"] = Manifests.BatchSandbox("app") },
            overrideServices: services => services.AddSingleton<ILoggerProvider>(_logs));
    }

    public async ValueTask DisposeAsync()
    {
        await _ingress.DisposeAsync();
        await _backend.DisposeAsync();
        _certificates.Dispose();
    }

    /// <summary>A client of its own (so a new connection and handshake) that records the certificate it was shown.</summary>
    private (HttpClient Client, Func<X509Certificate2?> Presented) NewClient()
    {
        X509Certificate2? presented = null;
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            presented = certificate is null ? null : new X509Certificate2(certificate);
            return presented is not null && _certificates.Validate(presented);
        };
        return (new HttpClient(handler), () => presented);
    }

    private async Task<HttpResponseMessage> GetAsync(HttpClient client, System.Version version)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_ingress.TlsAddress!, "/over-tls"))
        {
            Version = version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, $"app-{_backend.Port}");
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task ALPN_offers_HTTP_2_and_HTTP_1_1_and_the_sandbox_hears_https(string version)
    {
        var (client, _) = NewClient();
        using var _ = client;

        using var response = await GetAsync(client, System.Version.Parse(version));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(System.Version.Parse(version), response.Version);
        Assert.Equal("https", _backend.LastRequest.Headers[IngressHeaders.ForwardedProto]);
    }

    [Fact]
    public async Task Renewed_files_are_served_to_new_handshakes_open_connections_stay_and_a_broken_pair_keeps_the_old_one()
    {
        var (open, openPresented) = NewClient();
        using var _ = open;
        using (var first = await GetAsync(open, HttpVersion.Version11))
        {
            Assert.Equal("CN=first", openPresented()!.Subject);
        }

        // 1. Renewed in place: the next handshake gets the new certificate, the open connection goes on.
        _certificates.Issue("second");
        await Eventually.WaitAsync(async () =>
        {
            var (fresh, presented) = NewClient();
            using (fresh)
            using (await GetAsync(fresh, HttpVersion.Version11))
            {
                return presented()!.Subject;
            }
        }, subject => subject == "CN=second", TimeSpan.FromSeconds(10), "a handshake with the renewed certificate");
        using (var again = await GetAsync(open, HttpVersion.Version11))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Equal("CN=first", openPresented()!.Subject);
        }

        // 2. A key that does not match the certificate: logged, and the last good pair is kept.
        var stale = File.ReadAllText(_certificates.KeyFile);
        _certificates.Issue("third");
        TestCertificates.Write(_certificates.KeyFile, stale);
        async Task<string> HandshakeAsync()
        {
            var (fresh, presented) = NewClient();
            using (fresh)
            using (var response = await GetAsync(fresh, HttpVersion.Version11))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return presented()!.Subject;
            }
        }

        // Handshakes go on with the last good pair until one has tried the broken files and logged why they do not load.
        await Eventually.WaitAsync(async () => (await HandshakeAsync(), _logs.Entries.Any(e => e.Message.StartsWith("TLS certificate files changed but do not load", StringComparison.Ordinal))),
            seen => seen.Item1 == "CN=second" && seen.Item2, TimeSpan.FromSeconds(10), "the broken pair tried and logged");
        Assert.Equal("CN=second", await HandshakeAsync());
    }

    [Fact]
    public async Task A_WebSocket_over_HTTP_2_on_the_TLS_port_reaches_the_sandbox_as_an_HTTP_1_1_upgrade()
    {
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && _certificates.Validate(new X509Certificate2(certificate));
        using var invoker = new HttpMessageInvoker(handler);
        using var socket = new ClientWebSocket();
        socket.Options.HttpVersion = HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader(IngressHeaders.IngressTo, $"app-{_backend.Port}");
        var address = new UriBuilder(_ingress.TlsAddress!) { Scheme = "wss", Path = "/ws" }.Uri;

        await socket.ConnectAsync(address, invoker, TestContext.Current.CancellationToken);
        await socket.SendAsync("over h2"u8.ToArray(), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);
        var buffer = new byte[64];
        var received = await socket.ReceiveAsync(buffer, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, socket.HttpStatusCode);
        Assert.Equal("over h2", System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count));
        Assert.Equal("HTTP/1.1", _backend.LastRequest.Protocol);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, TestContext.Current.CancellationToken);
    }
}

using System.Net;
using System.Net.Http.Headers;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>Starts a real backend and the in-process ingress in header mode; requests go over loopback sockets.</summary>
public sealed class HeaderModeForwardingTests : IAsyncLifetime
{
    private TestBackend _backend = null!;
    private InProcessIngress _ingress = null!;
    private HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        _ingress = await InProcessIngress.StartAsync(manifests: new Dictionary<string, string>
        {
            ["boxes.yaml"] = string.Join("\n---\n",
                Manifests.BatchSandbox("my-box"),
                Manifests.BatchSandbox("cold-box", ready: 0),
                Manifests.BatchSandbox("paused-box", phase: "Paused"),
                Manifests.BatchSandbox("twin", @namespace: "a"),
                Manifests.BatchSandbox("twin", @namespace: "b")),
        });
        _client = new HttpClient { BaseAddress = _ingress.BaseAddress };
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _ingress.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private HttpRequestMessage To(HttpMethod method, string pathAndQuery, string? sandbox = "my-box")
    {
        var request = new HttpRequestMessage(method, VerbatimUri.Create(_ingress.BaseAddress, pathAndQuery));
        if (sandbox is not null)
        {
            request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, $"{sandbox}-{_backend.Port}");
        }

        return request;
    }

    [Theory]
    [InlineData("GET", "/a/b?x=1&y=%20z")]
    [InlineData("POST", "/a%2Fb/../c?q=%E2%9C%93")]
    [InlineData("DELETE", "//double//slash/")]
    [InlineData("PATCH", "/")]
    // SPEC §3: only exactly /status.ok is the probe (routing alone would match these case-insensitively).
    [InlineData("GET", "/status.ok/")]
    [InlineData("GET", "/STATUS.OK")]
    [InlineData("HEAD", "/Status.Ok")]
    [InlineData("GET", "/status.ok/x")]
    [InlineData("POST", "/status.ok")]
    public async Task Method_path_query_and_percent_encoding_reach_the_backend_unchanged(string method, string target)
    {
        using var response = await _client.SendAsync(To(new HttpMethod(method), target), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(method, _backend.LastRequest.Method);
        Assert.Equal(target, _backend.LastRequest.RawTarget);
        Assert.Equal(IngressHeaders.PoweredByValue, response.Headers.GetValues(IngressHeaders.PoweredBy).Single());
    }

    [Fact]
    public async Task Routing_and_access_headers_are_stripped_and_forwarding_headers_set()
    {
        var request = To(HttpMethod.Get, "/headers");
        request.Headers.TryAddWithoutValidation(IngressHeaders.LegacyIngress, "other-1");
        request.Headers.TryAddWithoutValidation(IngressHeaders.SecureAccess, "secret-token");
        request.Headers.TryAddWithoutValidation(IngressHeaders.ForwardedFor, "203.0.113.7");
        request.Headers.TryAddWithoutValidation("X-Custom", "kept");
        request.Headers.Host = "public.example.com";

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = _backend.LastRequest;
        Assert.Null(seen.Header(IngressHeaders.IngressTo));
        Assert.Null(seen.Header(IngressHeaders.LegacyIngress));
        Assert.Null(seen.Header(IngressHeaders.SecureAccess));
        Assert.Equal($"127.0.0.1:{_backend.Port}", seen.Header("Host"));
        Assert.Equal("203.0.113.7, 127.0.0.1", seen.Header(IngressHeaders.ForwardedFor));
        Assert.Equal("http", seen.Header(IngressHeaders.ForwardedProto));
        Assert.Equal("public.example.com", seen.Header(IngressHeaders.ForwardedHost));
        Assert.Null(seen.Header(IngressHeaders.ForwardedPrefix));
        Assert.Equal("kept", seen.Header("X-Custom"));
    }

    [Fact]
    public async Task Hop_by_hop_headers_do_not_reach_the_backend()
    {
        var request = To(HttpMethod.Get, "/hop");
        request.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=5");
        request.Headers.TryAddWithoutValidation("Proxy-Connection", "keep-alive");
        request.Headers.TryAddWithoutValidation("TE", "trailers");

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(_backend.LastRequest.Header("Keep-Alive"));
        Assert.Null(_backend.LastRequest.Header("Proxy-Connection"));
    }

    [Fact]
    public async Task Host_header_routes_when_no_routing_header_is_sent_and_is_lower_cased()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/via-host");
        request.Headers.Host = $"MY-BOX-{_backend.Port}.Sandboxes.Example.com:8443";

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/via-host", _backend.LastRequest.RawTarget);
    }

    [Fact]
    public async Task The_newer_routing_header_wins_over_the_legacy_one_and_over_Host()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/precedence");
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, $"http://my-box-{_backend.Port}.example.com");
        request.Headers.TryAddWithoutValidation(IngressHeaders.LegacyIngress, "missing-1");
        request.Headers.Host = "other-1.example.com";

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Server_sent_events_reach_the_client_while_the_backend_holds_the_response_open()
    {
        using var response = await _client.SendAsync(To(HttpMethod.Get, "/sse"), HttpCompletionOption.ResponseHeadersRead,
            TestContext.Current.CancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));

        var first = await reader.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(5),
            TestContext.Current.CancellationToken);

        Assert.Equal("data: first", first);
        Assert.False(_backend.SseRelease.Task.IsCompleted, "the backend must still be holding the response");
        _backend.SseRelease.SetResult();
        Assert.Contains("data: last", await reader.ReadToEndAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Unknown_sandbox_is_404_and_never_reaches_a_backend()
    {
        var before = _backend.Requests.Count;

        using var response = await _client.SendAsync(To(HttpMethod.Get, "/", sandbox: "nobody"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await AssertIngressErrorAsync(response, "sandbox nobody not found");
        Assert.Equal(before, _backend.Requests.Count);
    }

    [Theory]
    [InlineData("cold-box", "ready: 0/1")]
    [InlineData("paused-box", "Paused")]
    public async Task Sandbox_that_is_not_ready_is_503_naming_the_reason(string sandbox, string reason)
    {
        var before = _backend.Requests.Count;

        using var response = await _client.SendAsync(To(HttpMethod.Get, "/", sandbox), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await AssertIngressErrorAsync(response, reason);
        Assert.Contains(sandbox, body);
        Assert.Equal(before, _backend.Requests.Count);
    }

    [Fact]
    public async Task Same_name_in_two_namespaces_is_502_naming_them()
    {
        using var response = await _client.SendAsync(To(HttpMethod.Get, "/", "twin"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        await AssertIngressErrorAsync(response, "(a, b)");
    }

    [Theory]
    [InlineData("my-box")]
    [InlineData("my-box-0")]
    [InlineData("my-box-08080")]
    [InlineData("my-box-65536")]
    [InlineData("-8080")]
    public async Task Malformed_route_is_400(string routingKey)
    {
        var before = _backend.Requests.Count;
        var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, routingKey);

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertIngressErrorAsync(response, "");
        Assert.Equal(before, _backend.Requests.Count);
    }

    [Fact]
    public async Task Port_with_nothing_listening_is_502_within_one_second()
    {
        using var unused = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        unused.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var closedPort = ((IPEndPoint)unused.LocalEndPoint!).Port;
        var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, $"my-box-{closedPort}");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        await AssertIngressErrorAsync(response, "my-box");
    }

    [Fact]
    public async Task Connect_is_405()
    {
        var (_, head) = await RawHttp.SendAsync(_ingress.BaseAddress.Port,
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"u8.ToArray(), RawHttp.DefaultDeadline);

        Assert.StartsWith("HTTP/1.1 405", head);
    }

    [Fact]
    public async Task Status_probe_is_never_proxied()
    {
        var before = _backend.Requests.Count;

        using var response = await _client.SendAsync(To(HttpMethod.Get, "/status.ok"), TestContext.Current.CancellationToken);
        using var head = await _client.SendAsync(To(HttpMethod.Head, "/status.ok"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("OK", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(before, _backend.Requests.Count);
    }

    private static async Task<string> AssertIngressErrorAsync(HttpResponseMessage response, string expectedFragment)
    {
        Assert.Equal(new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" }, response.Content.Headers.ContentType);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.StartsWith("OpenSandbox Ingress: ", body);
        Assert.Single(body.TrimEnd('\n').Split('\n'));
        Assert.Contains(expectedFragment, body);
        return body;
    }
}

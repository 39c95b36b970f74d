using System.Diagnostics;
using System.Net;
using System.Text;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>Slow clients, large heads and slow sandboxes against the in-process ingress and a real backend.</summary>
public sealed class LimitsAndTimeoutsTests : IAsyncLifetime
{
    private TestBackend _backend = null!;
    private InProcessIngress _ingress = null!;
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(10) };

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        _ingress = await InProcessIngress.StartAsync(configure: o => o with
        {
            Listen = o.Listen with { RequestHeaderTimeout = TimeSpan.FromSeconds(3) },
            Upstream = o.Upstream with { ResponseTimeout = TimeSpan.FromSeconds(1) },
        }, manifests: new Dictionary<string, string> { ["l.yaml"] = Manifests.BatchSandbox("limits") });
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _ingress.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private HttpRequestMessage Request(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_ingress.BaseAddress, path));
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, $"limits-{_backend.Port}");
        return request;
    }

    [Fact]
    public async Task A_slow_loris_client_is_disconnected_by_the_header_timeout_while_others_are_served()
    {
        // Deadline beyond the 12 s this test gives up after, so the read below ends only when the server closes.
        using var slow = new RawHttp(_ingress.BaseAddress.Port, deadline: TimeSpan.FromSeconds(20));
        var head = Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: limits-{_backend.Port}\r\nX-Slow: ");
        var clock = Stopwatch.StartNew();
        var disconnected = false;
        var served = 0;
        // The server sends nothing to a client that has not finished its head: this read ends when it closes the connection.
        var closedByServer = slow.ReadBytesUntilClosedAsync();
        // One byte of a head that never ends per request of another client, served meanwhile, until the server closes.
        for (var i = 0; clock.Elapsed < TimeSpan.FromSeconds(12); i++)
        {
            if (closedByServer.IsCompleted)
            {
                disconnected = true;
                break;
            }

            try
            {
                await slow.SendAsync(i < head.Length ? head[i..(i + 1)] : "a"u8.ToArray());
            }
            catch (IOException)
            {
                disconnected = true;
                break;
            }

            using var response = await _client.SendAsync(Request("/other"), TestContext.Current.CancellationToken);
            served += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
        }

        Assert.True(disconnected, "the slow client was still connected after 12 s");
        // 3 s timeout, checked on Kestrel's 1 s heartbeat.
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));
        Assert.True(served >= 1, "no other client was served meanwhile");
        Assert.DoesNotContain(_backend.Requests, r => r.Header("X-Slow") is not null);
    }

    [Fact]
    public async Task Headers_up_to_64_KiB_are_accepted_and_larger_ones_get_431()
    {
        var big = Request("/big-header");
        big.Headers.TryAddWithoutValidation("X-Big", new string('a', 60 * 1024));
        using (var accepted = await _client.SendAsync(big, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        var tooBig = Request("/too-big-header");
        tooBig.Headers.TryAddWithoutValidation("X-Big", new string('a', 70 * 1024));
        using var refused = await _client.SendAsync(tooBig, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, refused.StatusCode);
        Assert.DoesNotContain(_backend.Requests, r => r.RawTarget == "/too-big-header");
    }

    [Fact]
    public async Task A_sandbox_slower_than_the_response_timeout_gives_504_but_a_stream_that_started_is_not_cut()
    {
        // Headers come at once, the body only after the timeout has long passed: a request to /slow started after the
        // stream's headers timing out (504) shows that the stream outlived the response timeout.
        using var stream = await _client.SendAsync(Request("/sse"), HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        Assert.Equal("data: first", await reader.ReadLineAsync(TestContext.Current.CancellationToken));

        var clock = Stopwatch.StartNew();
        using (var slow = await _client.SendAsync(Request("/slow?ms=4000"), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, slow.StatusCode);
            Assert.Contains("did not answer in time", await slow.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"504 took {clock.Elapsed}");

        _backend.SseRelease.SetResult();
        Assert.Contains("data: last", await reader.ReadToEndAsync(TestContext.Current.CancellationToken));
    }
}

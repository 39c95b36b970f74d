using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
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
        request.Headers.TryAddWithoutValidation("OpenSandbox-Ingress-To", $"limits-{_backend.Port}");
        return request;
    }

    [Fact]
    public async Task A_slow_loris_client_is_disconnected_by_the_header_timeout_while_others_are_served()
    {
        using var slow = new TcpClient();
        await slow.ConnectAsync(IPAddress.Loopback, _ingress.BaseAddress.Port, TestContext.Current.CancellationToken);
        var stream = slow.GetStream();
        var head = Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: limits-{_backend.Port}\r\nX-Slow: ");
        var clock = Stopwatch.StartNew();
        var disconnected = false;
        var served = 0;
        for (var i = 0; i < head.Length && clock.Elapsed < TimeSpan.FromSeconds(12); i++)
        {
            try
            {
                await stream.WriteAsync(head.AsMemory(i, 1), TestContext.Current.CancellationToken);
                // One byte every 2 s, and meanwhile another client is served.
                var wait = Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
                using (var response = await _client.SendAsync(Request("/other"), TestContext.Current.CancellationToken))
                {
                    served += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
                }

                await wait;
                if (slow.Client.Poll(0, SelectMode.SelectRead) && slow.Client.Available == 0)
                {
                    disconnected = true;
                    break;
                }
            }
            catch (IOException)
            {
                disconnected = true;
                break;
            }
        }

        Assert.True(disconnected, "the slow client was still connected after 12 s");
        // 3 s timeout, checked on Kestrel's 1 s heartbeat, observed on this 2 s write cadence.
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
        var clock = Stopwatch.StartNew();
        using (var slow = await _client.SendAsync(Request("/slow?ms=4000"), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, slow.StatusCode);
            Assert.Contains("did not answer in time", await slow.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"504 took {clock.Elapsed}");

        // Headers come at once, the body only after the timeout has long passed.
        using var stream = await _client.SendAsync(Request("/sse"), HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        Assert.Equal("data: first", await reader.ReadLineAsync(TestContext.Current.CancellationToken));
        await Task.Delay(TimeSpan.FromSeconds(1.5), TestContext.Current.CancellationToken);
        _backend.SseRelease.SetResult();
        Assert.Contains("data: last", await reader.ReadToEndAsync(TestContext.Current.CancellationToken));
    }
}

using System.Diagnostics;
using System.Net;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>SIGTERM to the ingress executable while traffic flows through it to a real backend.</summary>
[Collection(SerialCollection.Name)]
public sealed class GracefulShutdownTests : IAsyncLifetime
{
    private BackendAndManifest _sandbox = null!;

    public async ValueTask InitializeAsync() => _sandbox = await BackendAndManifest.StartAsync("drain");

    public ValueTask DisposeAsync() => _sandbox.DisposeAsync();

    [Fact]
    public async Task In_flight_requests_finish_after_SIGTERM_and_the_process_exits_0()
    {
        await using var ingress = await _sandbox.StartIngressAsync("--drain-timeout", "10", "--shutdown-delay", "2", "--log-level", "warn");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ingress.Port}"), Timeout = TimeSpan.FromSeconds(20) };
        client.DefaultRequestHeaders.TryAddWithoutValidation(IngressHeaders.IngressTo, _sandbox.RoutingKey);
        var signalTimestamp = long.MaxValue;
        var outcomes = new System.Collections.Concurrent.ConcurrentBag<(long Started, bool Ok)>();
        using var stop = new CancellationTokenSource();

        async Task SteadyTrafficAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    using var response = await client.GetAsync("/slow?ms=400");
                    ok = response.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    ok = false;
                }

                outcomes.Add((started, ok));
                if (!ok && started > Interlocked.Read(ref signalTimestamp))
                {
                    return; // the listener is closed: later requests are expected to fail
                }
            }
        }

        var traffic = Enumerable.Range(0, 16).Select(_ => Task.Run(SteadyTrafficAsync)).ToArray();
        await Eventually.WaitAsync(() => Task.FromResult(outcomes.Count), n => n >= 32, TimeSpan.FromSeconds(10), "traffic flowing");

        Interlocked.Exchange(ref signalTimestamp, Stopwatch.GetTimestamp());
        var clock = Stopwatch.StartNew();
        ingress.SendSigterm();
        // The signal is handled asynchronously; within the 2 s shutdown delay the probe must turn 503.
        await Eventually.WaitAsync(async () =>
        {
            using var probe = await client.GetAsync("/status.ok", TestContext.Current.CancellationToken);
            return probe.StatusCode;
        }, status => status == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(1.5), "/status.ok turning 503 after SIGTERM");

        var exitCode = await ingress.WaitForExitAsync(TimeSpan.FromSeconds(15));
        var exitedAfter = clock.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(traffic);

        var beforeSignal = outcomes.Where(o => o.Started < signalTimestamp).ToList();
        Assert.Equal(0, exitCode);
        Assert.True(exitedAfter < TimeSpan.FromSeconds(12), $"exit took {exitedAfter}");
        Assert.True(beforeSignal.Count >= 32, $"only {beforeSignal.Count} requests before the signal");
        Assert.All(beforeSignal, o => Assert.True(o.Ok, "a request started before SIGTERM failed"));
        TestContext.Current.TestOutputHelper!.WriteLine(
            $"{beforeSignal.Count} requests before SIGTERM, all OK; {outcomes.Count - beforeSignal.Count} after; exit 0 after {exitedAfter.TotalSeconds:F2} s");
    }

    [Fact]
    public async Task Idle_keep_alive_connections_are_closed_at_once_and_do_not_hold_up_the_exit()
    {
        await using var ingress = await _sandbox.StartIngressAsync("--drain-timeout", "20", "--log-level", "warn");
        using var client = await SendGetAsync(ingress, "/idle");
        await client.ReadResponseAsync();

        var clock = Stopwatch.StartNew();
        ingress.SendSigterm();
        var exitCode = await ingress.WaitForExitAsync(TimeSpan.FromSeconds(15));
        var afterExit = await client.ReadBytesUntilClosedAsync();

        Assert.Equal(0, exitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"exit took {clock.Elapsed} with an idle connection open (drain timeout 20 s)");
        Assert.Empty(afterExit);
    }

    [Fact]
    public async Task A_request_still_running_at_the_drain_deadline_is_cut_and_the_exit_is_on_time()
    {
        await using var ingress = await _sandbox.StartIngressAsync("--drain-timeout", "2", "--log-level", "warn");
        using var client = await SendGetAsync(ingress, "/slow?ms=30000");
        await Eventually.WaitAsync(() => Task.FromResult(_sandbox.Backend.Requests.Count(r => r.RawTarget == "/slow?ms=30000")), n => n == 1,
            TimeSpan.FromSeconds(5), "the slow request reaching the sandbox");

        var clock = Stopwatch.StartNew();
        ingress.SendSigterm();
        var exitCode = await ingress.WaitForExitAsync(TimeSpan.FromSeconds(15));
        var exitedAfter = clock.Elapsed;
        var received = await client.ReadBytesUntilClosedAsync();

        Assert.Equal(0, exitCode);
        Assert.InRange(exitedAfter, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(6));
        Assert.Empty(received);
    }

    /// <summary>A raw connection that has sent one plain GET.</summary>
    private async Task<RawHttp> SendGetAsync(IngressProcess ingress, string target)
    {
        var client = new RawHttp(ingress.Port);
        await client.SendAsync($"GET {target} HTTP/1.1\r\nHost: h\r\n{IngressHeaders.IngressTo}: {_sandbox.RoutingKey}\r\n\r\n");
        return client;
    }
}

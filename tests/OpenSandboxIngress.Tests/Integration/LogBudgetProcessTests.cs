using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// The ingress executable with a stdout that stalls or drains slowly (SPEC §10, §12): logging must never hold up a request
/// or the exit, and must never hold more than its budget in memory.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed partial class LogBudgetProcessTests : IAsyncLifetime
{
    private BackendAndManifest _sandbox = null!;

    public async ValueTask InitializeAsync() => _sandbox = await BackendAndManifest.StartAsync("logs");

    public ValueTask DisposeAsync() => _sandbox.DisposeAsync();

    private Task<IngressProcess> StartStalledAsync(params string[] args) =>
        IngressProcess.StartWithStdoutStalledAsync(["--provider-type", "file", "--sandboxes-dir", _sandbox.Directory, .. args]);

    /// <summary>
    /// Requests to the sandbox on a port nothing listens on: each is a 502, a warning line and an access line whose 1 KB path
    /// makes 5000 of them several times the log budget.
    /// </summary>
    private async Task SendRefusedAsync(IngressProcess ingress, int count)
    {
        var refusedKey = $"{_sandbox.Sandbox}-{FreePort.Next()}";
        var next = -1;
        var filler = new string('r', 1000);
        async Task WorkerAsync()
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ingress.Port}"), Timeout = TimeSpan.FromSeconds(10) };
            client.DefaultRequestHeaders.TryAddWithoutValidation(IngressHeaders.IngressTo, refusedKey);
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                using var response = await client.GetAsync($"/refused/{i}/{filler}", TestContext.Current.CancellationToken);
                Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(WorkerAsync)));
    }

    [Fact]
    public async Task With_stdout_stalled_a_healthy_sandbox_answers_after_5000_warnings_and_the_drops_are_reported_when_it_flows()
    {
        await using var ingress = await StartStalledAsync();

        await SendRefusedAsync(ingress, 5000);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ingress.Port}"), Timeout = TimeSpan.FromSeconds(5) };
        client.DefaultRequestHeaders.TryAddWithoutValidation(IngressHeaders.IngressTo, _sandbox.RoutingKey);
        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync("/healthy", TestContext.Current.CancellationToken);
        var latency = clock.Elapsed;
        using var probe = await client.GetAsync("/status.ok", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        ingress.ReadStdout();
        var output = await Eventually.WaitAsync(() => Task.FromResult(ingress.Output), o => DroppedReport().IsMatch(o), TimeSpan.FromSeconds(10),
            "the dropped-lines report once stdout flows");
        var dropped = long.Parse(DroppedReport().Match(output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(dropped > 0);
        TestContext.Current.TestOutputHelper!.WriteLine(
            $"stdout stalled, after 5000 refused requests: a healthy request answered in {latency.TotalMilliseconds:F1} ms; {dropped} lines dropped and reported");
    }

    [Fact]
    public async Task After_SIGTERM_with_stdout_stalled_the_process_exits_within_the_drain_timeout_and_two_seconds()
    {
        await using var ingress = await StartStalledAsync("--drain-timeout", "3");
        await SendRefusedAsync(ingress, 2000);

        var clock = Stopwatch.StartNew();
        ingress.SendSigterm();
        var exitCode = await ingress.WaitForExitAsync(TimeSpan.FromSeconds(20));
        var exitedAfter = clock.Elapsed;

        Assert.Equal(0, exitCode);
        // 3 s drain + 2 s (SPEC §12), with room for a loaded CI machine.
        Assert.True(exitedAfter < TimeSpan.FromSeconds(10), $"exit took {exitedAfter}");
        TestContext.Current.TestOutputHelper!.WriteLine($"stdout stalled, --drain-timeout 3: exit 0 {exitedAfter.TotalSeconds:F2} s after SIGTERM");
    }

    [Fact]
    public async Task Memory_stays_bounded_after_6000_requests_with_60_KB_paths_and_stdout_read_at_2_MiB_per_second()
    {
        await using var ingress = await StartStalledAsync();
        ingress.ReadStdout(bytesPerSecond: 2L << 20);
        var (before, _) = ingress.Memory();
        var filler = new string('a', 60_000);
        var next = -1;
        async Task ClientAsync()
        {
            // One keep-alive connection per client.
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1 };
            using var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{ingress.Port}"), Timeout = TimeSpan.FromSeconds(10) };
            client.DefaultRequestHeaders.TryAddWithoutValidation(IngressHeaders.IngressTo, "nobody-80");
            int i;
            while ((i = Interlocked.Increment(ref next)) < 6000)
            {
                using var response = await client.GetAsync($"/{i:D6}/{filler}", TestContext.Current.CancellationToken);
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(ClientAsync)));
        var (rss, peak) = ingress.Memory();

        TestContext.Current.TestOutputHelper!.WriteLine(
            $"6000 requests with 60 KB paths, stdout read at 2 MiB/s: RSS before {before >> 20} MiB, after {rss >> 20} MiB, peak {peak >> 20} MiB");
        Assert.True(rss < 200L << 20, $"RSS {rss >> 20} MiB");
    }

    [GeneratedRegex("\"Message\":\"(\\d+) log lines dropped")]
    private static partial Regex DroppedReport();
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>SIGTERM to the ingress executable while its Redis accepts connections and never answers (SPEC §9, §12).</summary>
[Collection(SerialCollection.Name)]
public sealed partial class RenewIntentShutdownTests : IAsyncLifetime
{
    private const int Requests = 600;

    private BackendAndManifest _sandbox = null!;
    private readonly TcpListener _silentRedis = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _accepting = Task.CompletedTask;

    public async ValueTask InitializeAsync()
    {
        _sandbox = await BackendAndManifest.StartAsync("renewbox");
        _silentRedis.Start();
        _accepting = AcceptForeverAsync();
    }

    /// <summary>Takes every connection and holds it, reading nothing and answering nothing.</summary>
    private async Task AcceptForeverAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _silentRedis.AcceptSocketAsync(_stop.Token);
                lock (_accepted)
                {
                    _accepted.Add(socket);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _accepting;
        _silentRedis.Stop();
        lock (_accepted)
        {
            _accepted.ForEach(socket => socket.Dispose());
        }

        _stop.Dispose();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task With_Redis_never_answering_the_shutdown_totals_add_up_to_the_intents_queued_and_the_exit_keeps_to_the_drain()
    {
        var redisPort = ((IPEndPoint)_silentRedis.LocalEndpoint).Port;
        await using var ingress = await _sandbox.StartIngressAsync("--renew-intent-enabled", "--renew-intent-redis-dsn", $"redis://127.0.0.1:{redisPort}/0",
            "--renew-intent-min-interval", "0", "--drain-timeout", "3");
        using (var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ingress.Port}"), Timeout = TimeSpan.FromSeconds(10) })
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation(IngressHeaders.IngressTo, _sandbox.RoutingKey);
            for (var i = 0; i < Requests; i++)
            {
                using var response = await client.GetAsync($"/work/{i}", TestContext.Current.CancellationToken);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        var clock = Stopwatch.StartNew();
        ingress.SendSigterm();
        var exitCode = await ingress.WaitForExitAsync(TimeSpan.FromSeconds(20));
        var exitedAfter = clock.Elapsed;

        Assert.Equal(0, exitCode);
        var totals = Totals().Match(ingress.Output);
        Assert.True(totals.Success, $"no totals line in: {ingress.Output[^Math.Min(2000, ingress.Output.Length)..]}");
        var (published, throttled, dropped, failed) = (Count(totals, 1), Count(totals, 2), Count(totals, 3), Count(totals, 4));
        Assert.Equal(0, throttled);
        Assert.Equal(Requests, published + dropped + failed);
        Assert.True(exitedAfter < TimeSpan.FromSeconds(10), $"exit took {exitedAfter}");
        TestContext.Current.TestOutputHelper!.WriteLine(
            $"{Requests} intents: {published} published, {dropped} dropped, {failed} failed; exit {exitedAfter.TotalSeconds:F2} s after SIGTERM");
    }

    private static long Count(Match match, int group) => long.Parse(match.Groups[group].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex("Renew intents: (\\d+) published, (\\d+) throttled, (\\d+) dropped, (\\d+) failed")]
    private static partial Regex Totals();
}

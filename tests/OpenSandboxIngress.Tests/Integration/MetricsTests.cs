using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text.RegularExpressions;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;
using Snapshooter.Xunit3;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// A known mix of requests through the in-process ingress, then a scrape of its metrics listener. Serial: the exporter
/// listens to the meter by name, so in-process ingresses of tests running alongside would add to the counts.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed partial class MetricsTests : IAsyncLifetime
{
    private TestBackend _backend = null!;
    private InProcessIngress _ingress = null!;
    private readonly HttpClient _client = new();

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        var metricsPort = FreePort.Next();
        _ingress = await InProcessIngress.StartAsync(configure: o => o with { Listen = o.Listen with { MetricsPort = metricsPort } }, manifests: new Dictionary<string, string>
        {
            ["m.yaml"] = Manifests.BatchSandbox("measured") + "\n---\n" + Manifests.BatchSandbox("other"),
        });
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _ingress.DisposeAsync();
        await _backend.DisposeAsync();
    }

    /// <param name="http10">An HTTP/1.0 request, counted with the others.</param>
    private async Task<HttpStatusCode> SendAsync(string routingKey, bool http10 = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_ingress.BaseAddress, "/metrics"));
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, routingKey);
        if (http10)
        {
            request.Version = HttpVersion.Version10;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private async Task<Dictionary<string, double>> ScrapeAsync()
    {
        var text = await _client.GetStringAsync(new Uri(_ingress.MetricsAddress!, "/metrics"), TestContext.Current.CancellationToken);
        var samples = new Dictionary<string, double>();
        var typed = new HashSet<string>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                typed.Add(line.Split(' ')[2]);
                continue;
            }

            if (line.StartsWith('#'))
            {
                Assert.Matches(@"^# (HELP|UNIT|EOF)", line);
                continue;
            }

            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a Prometheus sample line: {line}");
            var name = match.Groups["name"].Value;
            Assert.Contains(typed, family => name == family || name.StartsWith(family + "_", StringComparison.Ordinal));
            // Drop the scope labels every series carries, keep the meaningful ones in a stable order.
            var labels = string.Join(",", ScopeLabel().Replace(match.Groups["labels"].Value, "").Split(',', StringSplitOptions.RemoveEmptyEntries).Order());
            samples[$"{name}{{{labels}}}"] = double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        }

        return samples;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[-+]?([0-9.]+([eE][-+]?[0-9]+)?|Inf|NaN))( [0-9]+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"otel_scope_(name|version)=""[^""]*"",?")]
    private static partial Regex ScopeLabel();

    [Fact]
    public async Task The_metric_families_are_the_documented_ones()
    {
        Assert.Equal(HttpStatusCode.OK, await SendAsync($"measured-{_backend.Port}"));

        var text = await _client.GetStringAsync(new Uri(_ingress.MetricsAddress!, "/metrics"), TestContext.Current.CancellationToken);
        var families = text.Split('\n').Where(line => line.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(line => line["# TYPE ".Length..])
            .Order(StringComparer.Ordinal).ToList();

        Snapshot.Match(families);
    }

    [Fact]
    public async Task Every_family_is_exported_with_zero_before_the_first_request()
    {
        var metrics = await ScrapeAsync();

        foreach (var statusClass in new[] { "1xx", "2xx", "3xx", "4xx", "5xx", "other" })
        {
            Assert.Equal(0, metrics[$"opensandbox_ingress_requests_total{{mode=\"header\",status_class=\"{statusClass}\"}}"]);
        }

        Assert.Equal(0, metrics["opensandbox_ingress_upstream_connect_failures_total{}"]);
        Assert.Equal(0, metrics["opensandbox_ingress_websockets_active{}"]);
        Assert.Equal(0, metrics["opensandbox_ingress_watch_restarts_total{}"]);
        Assert.Equal(0, metrics["opensandbox_ingress_relists_total{}"]);
        Assert.Equal(0, metrics["opensandbox_ingress_log_lines_dropped_total{}"]);
        foreach (var outcome in new[] { "published", "throttled", "dropped", "failed" })
        {
            Assert.Equal(0, metrics[$"opensandbox_ingress_renew_intents_total{{outcome=\"{outcome}\"}}"]);
        }
    }

    [Fact]
    public async Task A_known_mix_of_requests_shows_up_with_exact_counts()
    {
        var closedPort = FreePort.Next();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await SendAsync($"measured-{_backend.Port}"));
        }

        Assert.Equal(HttpStatusCode.NotFound, await SendAsync($"nobody-{_backend.Port}"));
        Assert.Equal(HttpStatusCode.NotFound, await SendAsync($"nobody-{_backend.Port}"));
        Assert.Equal(HttpStatusCode.BadRequest, await SendAsync("no-port"));
        Assert.Equal(HttpStatusCode.BadGateway, await SendAsync($"measured-{closedPort}"));
        Assert.Equal(HttpStatusCode.OK, await SendAsync($"measured-{_backend.Port}", http10: true));

        var metrics = await ScrapeAsync();

        Assert.Equal(4, metrics["opensandbox_ingress_requests_total{mode=\"header\",status_class=\"2xx\"}"]);
        Assert.Equal(3, metrics["opensandbox_ingress_requests_total{mode=\"header\",status_class=\"4xx\"}"]);
        Assert.Equal(1, metrics["opensandbox_ingress_requests_total{mode=\"header\",status_class=\"5xx\"}"]);
        Assert.Equal(4, metrics["opensandbox_ingress_request_duration_seconds_count{mode=\"header\",status_class=\"2xx\"}"]);
        Assert.DoesNotContain(metrics.Keys, k => k.Contains("handler=", StringComparison.Ordinal));
        Assert.Equal(1, metrics["opensandbox_ingress_upstream_connect_failures_total{}"]);
        Assert.Equal(2, metrics["opensandbox_ingress_sandboxes{}"]);
        Assert.Equal(1, metrics["opensandbox_ingress_cache_synced{}"]);
        Assert.Equal(0, metrics["opensandbox_ingress_renew_intents_total{outcome=\"published\"}"]);
        Assert.Equal(0, metrics["opensandbox_ingress_log_lines_dropped_total{}"]);
        Assert.Single(metrics, m => m.Key.StartsWith("opensandbox_ingress_build_info{", StringComparison.Ordinal) && m.Value == 1);
        Assert.DoesNotContain(metrics.Keys, k => k.Contains("measured", StringComparison.Ordinal));
        Assert.DoesNotContain(_backend.Requests, r => r.RawTarget == "/metrics" && r.Header(IngressHeaders.IngressTo) is not null);
        Assert.Equal(4, _backend.Requests.Count(r => r.RawTarget == "/metrics"));
    }

    [Fact]
    public async Task Open_websockets_are_counted()
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader(IngressHeaders.IngressTo, $"measured-{_backend.Port}");
        await socket.ConnectAsync(new Uri($"ws://{_ingress.BaseAddress.Authority}/ws"), TestContext.Current.CancellationToken);

        Assert.Equal(1, (await ScrapeAsync())["opensandbox_ingress_websockets_active{}"]);

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, TestContext.Current.CancellationToken);
        await Eventually.WaitAsync(async () => (await ScrapeAsync())["opensandbox_ingress_websockets_active{}"], n => n == 0,
            TimeSpan.FromSeconds(5), "the closed WebSocket leaving the gauge");
    }

    [Fact]
    public async Task The_metrics_listener_serves_nothing_else()
    {
        using var response = await _client.GetAsync(new Uri(_ingress.MetricsAddress!, "/status.ok"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

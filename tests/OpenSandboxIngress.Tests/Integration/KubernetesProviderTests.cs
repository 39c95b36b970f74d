using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// The in-process ingress with <c>--provider-type batchsandbox</c>, reaching the Kubernetes API emulator through a
/// kubeconfig file, in front of a real backend.
/// </summary>
public sealed class KubernetesProviderTests : IAsyncLifetime
{
    /// <summary>Watch events arrive in milliseconds; the deadline leaves room for a loaded machine (a 1 s one failed in CI).</summary>
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(5);

    private TestBackend _backend = null!;
    private KubernetesApiEmulator _emulator = null!;
    private readonly List<IAsyncDisposable> _ingresses = [];
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(5) };

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        _emulator = await KubernetesApiEmulator.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        foreach (var ingress in _ingresses)
        {
            await ingress.DisposeAsync();
        }

        await _emulator.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private async Task<InProcessIngress> StartIngressAsync(string? @namespace = null, ProviderType provider = ProviderType.BatchSandbox,
        KubernetesApiEmulator? emulator = null)
    {
        emulator ??= _emulator;
        var kubeconfig = Kubeconfig.Write(emulator.Server, emulator.RequiredToken, emulator.CertificateAuthorityBase64);
        var ingress = await InProcessIngress.StartAsync(configure: o => o with
        {
            Source = new SandboxSourceOptions { Provider = provider, KubeconfigPath = kubeconfig, Namespace = @namespace },
        });
        _ingresses.Add(ingress);
        await Eventually.WaitAsync(() => StatusOkAsync(ingress), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "cache sync");
        return ingress;
    }

    private async Task<HttpStatusCode> StatusOkAsync(InProcessIngress ingress)
    {
        using var response = await _client.GetAsync(new Uri(ingress.BaseAddress, "/status.ok"));
        return response.StatusCode;
    }

    private async Task<(HttpStatusCode Status, string? SeenHost, string Body)> GetAsync(InProcessIngress ingress, string sandbox)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ingress.BaseAddress, "/k8s"));
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, $"{sandbox}-{_backend.Port}");
        using var response = await _client.SendAsync(request);
        var seenHost = response.Headers.TryGetValues("X-Seen-Host", out var values) ? values.Single() : null;
        return (response.StatusCode, seenHost, await response.Content.ReadAsStringAsync());
    }

    private Task WaitForStatusAsync(InProcessIngress ingress, string sandbox, HttpStatusCode expected, TimeSpan deadline, string what) =>
        Eventually.WaitAsync(async () => (await GetAsync(ingress, sandbox)).Status, s => s == expected, deadline, what);

    [Fact]
    public async Task Creation_endpoint_change_readiness_and_deletion_take_effect_within_one_second()
    {
        var ingress = await StartIngressAsync();

        _emulator.Upsert("default", "live", SandboxObjects.BatchSandbox());
        await WaitForStatusAsync(ingress, "live", HttpStatusCode.OK, Propagation, "a new sandbox becoming routable");

        _emulator.Upsert("default", "live", SandboxObjects.BatchSandbox(endpoint: "localhost"));
        await Eventually.WaitAsync(async () => (await GetAsync(ingress, "live")).SeenHost, h => h == $"localhost:{_backend.Port}", Propagation,
            "traffic moving to the new endpoint");

        _emulator.Upsert("default", "live", SandboxObjects.BatchSandbox(ready: 0));
        await WaitForStatusAsync(ingress, "live", HttpStatusCode.ServiceUnavailable, Propagation, "the sandbox turning not ready");
        Assert.Contains("ready: 0/1", (await GetAsync(ingress, "live")).Body);

        _emulator.Upsert("default", "live", SandboxObjects.BatchSandbox(ready: 1));
        await WaitForStatusAsync(ingress, "live", HttpStatusCode.OK, Propagation, "the sandbox turning ready again");

        _emulator.Delete("default", "live");
        await WaitForStatusAsync(ingress, "live", HttpStatusCode.NotFound, Propagation, "the deleted sandbox disappearing");
    }

    [Fact]
    public async Task Status_probe_is_503_until_the_first_list_and_requests_get_cache_not_synced()
    {
        _emulator.HangRequests();
        var kubeconfig = Kubeconfig.Write(_emulator.Server, null, null);
        var ingress = await InProcessIngress.StartAsync(configure: o => o with { Source = new SandboxSourceOptions { KubeconfigPath = kubeconfig } });
        _ingresses.Add(ingress);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusOkAsync(ingress));
        var (status, _, body) = await GetAsync(ingress, "any");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("cache not synced", body);

        _emulator.ReleaseHungRequests();
        await Eventually.WaitAsync(() => StatusOkAsync(ingress), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(5), "sync once the API answers");
    }

    [Fact]
    public async Task A_single_namespace_is_all_that_is_listed_and_watched()
    {
        _emulator.Upsert("a", "mine", SandboxObjects.BatchSandbox());
        _emulator.Upsert("b", "theirs", SandboxObjects.BatchSandbox());
        var ingress = await StartIngressAsync(@namespace: "a");

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(ingress, "mine")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(ingress, "theirs")).Status);
        _emulator.Upsert("b", "late", SandboxObjects.BatchSandbox());
        _emulator.Upsert("a", "late-a", SandboxObjects.BatchSandbox());
        await WaitForStatusAsync(ingress, "late-a", HttpStatusCode.OK, Propagation, "the later sandbox in namespace a");
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(ingress, "late")).Status);
        Assert.All(_emulator.RequestLog, path => Assert.StartsWith("/apis/sandbox.opensandbox.io/v1alpha1/namespaces/a/batchsandboxes", path));
    }

    [Fact]
    public async Task The_same_name_in_two_namespaces_is_ambiguous_cluster_wide()
    {
        _emulator.Upsert("a", "twin", SandboxObjects.BatchSandbox());
        _emulator.Upsert("b", "twin", SandboxObjects.BatchSandbox());
        var ingress = await StartIngressAsync();

        var (status, _, body) = await GetAsync(ingress, "twin");

        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.Contains("(a, b)", body);
    }

    [Fact]
    public async Task Lists_are_paginated()
    {
        _emulator.Seed(1_234, i => ("default", $"seeded-{i}", SandboxObjects.BatchSandbox()));
        var ingress = await StartIngressAsync();

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(ingress, "seeded-1233")).Status);
        Assert.Equal(3, _emulator.RequestLog.Count(p => p.Contains("limit=", StringComparison.Ordinal)));
        Assert.Contains(_emulator.RequestLog, p => p.Contains("continue=", StringComparison.Ordinal));
        await Eventually.WaitAsync(() => Task.FromResult(_emulator.RequestLog.Any(p => p.Contains("watch=true", StringComparison.Ordinal)
            && p.Contains("allowWatchBookmarks=true", StringComparison.Ordinal))), started => started, TimeSpan.FromSeconds(5), "a watch with bookmarks");
    }

    [Fact]
    public async Task A_stream_cut_mid_line_a_malformed_event_and_a_500_on_list_are_survived()
    {
        _emulator.ListFailuresToServe = 2;
        var ingress = await StartIngressAsync();

        _emulator.CutNextWatchEventMidLine = true;
        _emulator.Upsert("default", "after-cut", SandboxObjects.BatchSandbox());
        await WaitForStatusAsync(ingress, "after-cut", HttpStatusCode.OK, TimeSpan.FromSeconds(5), "the event re-read after the cut");

        _emulator.SendMalformedEventNext = true;
        _emulator.Upsert("default", "after-garbage", SandboxObjects.BatchSandbox());
        await WaitForStatusAsync(ingress, "after-garbage", HttpStatusCode.OK, Propagation, "the event after the malformed one");

        _emulator.Bookmark();
        _emulator.Upsert("default", "still-watching", SandboxObjects.BatchSandbox());
        await WaitForStatusAsync(ingress, "still-watching", HttpStatusCode.OK, Propagation, "events after a bookmark");
    }

    [Fact]
    public async Task A_dropped_watch_resumes_from_the_last_version_seen_not_from_the_list()
    {
        _emulator.Upsert("default", "first", SandboxObjects.BatchSandbox());
        var ingress = await StartIngressAsync();
        _emulator.Upsert("default", "seen-on-the-watch", SandboxObjects.BatchSandbox());
        await WaitForStatusAsync(ingress, "seen-on-the-watch", HttpStatusCode.OK, TimeSpan.FromSeconds(5), "the event on the first watch");

        _emulator.CutNextWatchEventMidLine = true;
        _emulator.Upsert("default", "after-the-cut", SandboxObjects.BatchSandbox());
        await WaitForStatusAsync(ingress, "after-the-cut", HttpStatusCode.OK, TimeSpan.FromSeconds(8), "the event after the reconnect");

        // SPEC §6.4: the reconnect asks from the version of the last event applied, so no history is needed twice.
        var watchedFrom = _emulator.RequestLog.Where(p => p.Contains("watch=true", StringComparison.Ordinal))
            .Select(p => long.Parse(p[(p.LastIndexOf("resourceVersion=", StringComparison.Ordinal) + "resourceVersion=".Length)..], System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(watchedFrom.Count >= 2, string.Join(", ", watchedFrom));
        Assert.True(watchedFrom[1] > watchedFrom[0], $"the second watch started from {watchedFrom[1]}, the list's version was {watchedFrom[0]}");
        Assert.Equal(1, _emulator.RequestLog.Count(p => !p.Contains("watch=true", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Faults_while_traffic_flows_fail_no_request_to_a_cached_sandbox()
    {
        _emulator.Upsert("default", "steady", SandboxObjects.BatchSandbox());
        var ingress = await StartIngressAsync();
        using var stop = new CancellationTokenSource();
        var (sent, failed) = (0, 0);
        var traffic = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref sent);
                if ((await GetAsync(ingress, "steady")).Status != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }, TestContext.Current.CancellationToken);

        // A slow API server: new requests hang while the open watch keeps going.
        _emulator.HangRequests();
        _emulator.Upsert("default", "during-slow", SandboxObjects.BatchSandbox());
        await WaitForStatusAsync(ingress, "during-slow", HttpStatusCode.OK, Propagation, "an event on the open watch while the server is slow");
        _emulator.ReleaseHungRequests();

        // A truncated stream, then history gone past every version the ingress has seen (410), and two 500s on the
        // relist. (Compacting only up to now would not do: the ingress resumes from the last version it saw, which the
        // server can still serve.)
        _emulator.ExpireHistory();
        _emulator.ListFailuresToServe = 2;
        _emulator.CutNextWatchEventMidLine = true;
        _emulator.Upsert("default", "after-relist", SandboxObjects.BatchSandbox());
        await WaitForStatusAsync(ingress, "after-relist", HttpStatusCode.OK, TimeSpan.FromSeconds(8), "the sandbox seen by the relist");

        // Garbage on the stream.
        _emulator.SendMalformedEventNext = true;
        _emulator.Upsert("default", "after-garbage", SandboxObjects.BatchSandbox());
        await WaitForStatusAsync(ingress, "after-garbage", HttpStatusCode.OK, TimeSpan.FromSeconds(5), "the event after the garbage");

        await stop.CancelAsync();
        await traffic;
        Assert.True(sent > 50, $"only {sent} requests were sent");
        Assert.Equal(0, failed);
        // The first list, two refused with 500, and the relist that succeeded.
        Assert.True(_emulator.RequestLog.Count(p => !p.Contains("watch=true", StringComparison.Ordinal)) >= 4, "no relist after the 410");
    }

    [Fact]
    public async Task An_api_outage_keeps_cached_routes_serving_and_recovery_catches_up_including_410()
    {
        _emulator.Upsert("default", "cached", SandboxObjects.BatchSandbox());
        _emulator.Upsert("default", "doomed", SandboxObjects.BatchSandbox());
        var ingress = await StartIngressAsync();
        // Read in process rather than scraped: the Prometheus exporter serves a cached scrape, and under a loaded run
        // a scrape per request kept seeing the old count.
        var metrics = ingress.Services.GetRequiredService<IngressMetrics>();

        await _emulator.RefuseConnectionsAsync();
        var restartsBefore = metrics.WatchRestarts;
        _emulator.Upsert("default", "born-in-outage", SandboxObjects.BatchSandbox());
        _emulator.Delete("default", "doomed");
        _emulator.Compact();
        // Requests to the cached sandbox while the ingress fails to reach the API: two more restarts counted after the
        // listener was gone mean at least one reconnect was refused; then 100 more requests, all of them during the outage.
        var failures = 0;
        var requests = 0;
        var afterRefusedReconnect = 0;
        var outage = System.Diagnostics.Stopwatch.StartNew();
        while (afterRefusedReconnect < 100)
        {
            if (outage.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException($"no refused reconnect counted in 20 s ({requests} requests sent)");
            }

            requests++;
            if ((await GetAsync(ingress, "cached")).Status != HttpStatusCode.OK)
            {
                failures++;
            }

            if (afterRefusedReconnect > 0 || metrics.WatchRestarts >= restartsBefore + 2)
            {
                afterRefusedReconnect++;
            }
        }

        await _emulator.ResumeAsync();

        Assert.True(requests > 100, $"only {requests} requests were sent");
        Assert.Equal(0, failures);
        await WaitForStatusAsync(ingress, "born-in-outage", HttpStatusCode.OK, TimeSpan.FromSeconds(8), "the sandbox created during the outage");
        await WaitForStatusAsync(ingress, "doomed", HttpStatusCode.NotFound, TimeSpan.FromSeconds(8), "the sandbox deleted during the outage");
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(ingress, "cached")).Status);
    }

    [Fact]
    public async Task Agent_sandboxes_route_by_name_candidates_and_follow_the_ready_condition()
    {
        await using var agents = await KubernetesApiEmulator.StartAsync("agents.x-k8s.io", "v1alpha1", "sandboxes", "Sandbox");
        agents.Upsert("default", "my-box", SandboxObjects.AgentSandbox("localhost", ready: false));
        var ingress = await StartIngressAsync(provider: ProviderType.AgentSandbox, emulator: agents);

        var (status, _, body) = await GetAsync(ingress, "My_Box");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("PodPending", body);

        agents.Upsert("default", "my-box", SandboxObjects.AgentSandbox("localhost", ready: true));
        await WaitForStatusAsync(ingress, "My_Box", HttpStatusCode.OK, Propagation, "the Ready condition turning True");
    }
}

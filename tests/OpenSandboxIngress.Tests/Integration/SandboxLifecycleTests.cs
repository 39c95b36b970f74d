using System.Diagnostics;
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
/// Wake and hold (SPEC §13): the in-process ingress with the batchsandbox provider on the Kubernetes API emulator, the
/// lifecycle API emulator (which moves a resumed sandbox to ready), and a real backend behind the sandbox.
/// </summary>
public sealed class SandboxLifecycleTests : IAsyncLifetime
{
    private TestBackend _backend = null!;
    private KubernetesApiEmulator _kubernetes = null!;
    private LifecycleApiEmulator _lifecycle = null!;
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async ValueTask InitializeAsync()
    {
        _backend = await TestBackend.StartAsync();
        _kubernetes = await KubernetesApiEmulator.StartAsync();
        _lifecycle = await LifecycleApiEmulator.StartAsync(_kubernetes);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await _lifecycle.DisposeAsync();
        await _kubernetes.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private async Task<InProcessIngress> StartIngressAsync(bool wake = true, string key = "lifecycle-key", double holdSeconds = 10,
        int holdMax = 1024, CapturingLoggerProvider? logs = null)
    {
        var keyFile = Path.Combine(Directory.CreateTempSubdirectory("osb-key-").FullName, "api-key");
        await File.WriteAllTextAsync(keyFile, key + "\n");
        var ingress = await InProcessIngress.StartAsync(configure: o => o with
        {
            Source = new SandboxSourceOptions { KubeconfigPath = Kubeconfig.Write(_kubernetes.Server, null, null) },
            Lifecycle = new LifecycleOptions
            {
                WakeOnRequest = wake,
                ApiUrl = wake ? _lifecycle.BaseAddress : null,
                ApiKeyFile = wake ? keyFile : null,
                HoldTimeout = TimeSpan.FromSeconds(holdSeconds),
                HoldMaxRequests = holdMax,
            },
            Logging = new LoggingOptions { Level = LogLevel.Information },
        }, overrideServices: services =>
        {
            if (logs is not null)
            {
                services.AddSingleton<ILoggerProvider>(logs);
            }
        });
        _owned.Add(ingress);
        await Eventually.WaitAsync(async () =>
        {
            using var probe = await _client.GetAsync(new Uri(ingress.BaseAddress, "/status.ok"));
            return probe.StatusCode;
        }, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "cache sync");
        return ingress;
    }

    private HttpRequestMessage To(InProcessIngress ingress, string sandbox, string path = "/")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ingress.BaseAddress, path));
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, $"{sandbox}-{_backend.Port}");
        return request;
    }

    private static long Waiting(InProcessIngress ingress) => ingress.Services.GetRequiredService<IngressMetrics>().Waiting;

    [Fact]
    public async Task Twenty_concurrent_requests_to_a_paused_sandbox_make_one_resume_call_and_all_reach_the_sandbox()
    {
        _kubernetes.Upsert("default", "sleepy", SandboxObjects.BatchSandbox(ready: 0, phase: "Paused"));
        var ingress = await StartIngressAsync();

        var clock = Stopwatch.StartNew();
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => _client.SendAsync(To(ingress, "sleepy", $"/work/{i}"))));
        var elapsed = clock.Elapsed;

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(20, _backend.Requests.Count(r => r.RawTarget.StartsWith("/work/", StringComparison.Ordinal)));
        Assert.Equal([("sleepy", 202)], _lifecycle.Calls);
        Assert.Equal(0, Waiting(ingress));
        TestContext.Current.TestOutputHelper!.WriteLine($"paused to answered, 20 requests: {elapsed.TotalMilliseconds:F0} ms (resume delay 300 ms)");
    }

    [Fact]
    public async Task A_sandbox_still_pausing_is_resumed_as_soon_as_it_is_paused()
    {
        _kubernetes.Upsert("default", "dozing", SandboxObjects.BatchSandbox(ready: 1, phase: "Pausing"));
        var ingress = await StartIngressAsync();

        var held = _client.SendAsync(To(ingress, "dozing", "/after-pause"), TestContext.Current.CancellationToken);
        await Eventually.WaitAsync(() => Task.FromResult(Waiting(ingress)), n => n == 1, TimeSpan.FromSeconds(5), "the held request");
        Assert.Empty(_lifecycle.Calls);
        _kubernetes.Upsert("default", "dozing", SandboxObjects.BatchSandbox(ready: 0, phase: "Paused"));
        using var response = await held;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([("dozing", 202)], _lifecycle.Calls);
    }

    [Fact]
    public async Task A_wrong_key_is_logged_with_its_status_and_the_requests_get_503_naming_the_failure()
    {
        _kubernetes.Upsert("default", "sleepy", SandboxObjects.BatchSandbox(ready: 0, phase: "Paused"));
        var logs = new CapturingLoggerProvider();
        var ingress = await StartIngressAsync(key: "wrong-key", logs: logs);

        using var first = await _client.SendAsync(To(ingress, "sleepy"), TestContext.Current.CancellationToken);
        using var second = await _client.SendAsync(To(ingress, "sleepy"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Contains("could not be woken: the lifecycle API answered 401", await first.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(TimeSpan.FromSeconds(10), first.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Equal([("sleepy", 401)], _lifecycle.Calls);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message == "Resume of sandbox sleepy failed: the lifecycle API answered 401");
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("wrong-key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_request_that_would_be_refused_401_wakes_nothing()
    {
        _kubernetes.Upsert("default", "locked", SandboxObjects.BatchSandbox(ready: 0, phase: "Paused", token: "t0ken"));
        var ingress = await StartIngressAsync();

        using var response = await _client.SendAsync(To(ingress, "locked"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(_lifecycle.Calls);
    }

    [Fact]
    public async Task A_hold_that_times_out_is_503_with_Retry_After()
    {
        _kubernetes.Upsert("default", "cold", SandboxObjects.BatchSandbox(ready: 0));
        var ingress = await StartIngressAsync(wake: false, holdSeconds: 1);

        var clock = Stopwatch.StartNew();
        using var response = await _client.SendAsync(To(ingress, "cold"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        Assert.Empty(_backend.Requests);
    }

    [Fact]
    public async Task A_held_request_is_forwarded_once_the_sandbox_becomes_ready_and_released_with_404_when_it_is_deleted()
    {
        _kubernetes.Upsert("default", "starting", SandboxObjects.BatchSandbox(ready: 0));
        _kubernetes.Upsert("default", "doomed", SandboxObjects.BatchSandbox(ready: 0));
        var ingress = await StartIngressAsync(wake: false, holdSeconds: 20);

        var ready = _client.SendAsync(To(ingress, "starting", "/ready"), TestContext.Current.CancellationToken);
        var deleted = _client.SendAsync(To(ingress, "doomed", "/gone"), TestContext.Current.CancellationToken);
        await Eventually.WaitAsync(() => Task.FromResult(Waiting(ingress)), n => n == 2, TimeSpan.FromSeconds(5), "two held requests");
        _kubernetes.Upsert("default", "starting", SandboxObjects.BatchSandbox(ready: 1));
        _kubernetes.Delete("default", "doomed");

        using var readyResponse = await ready;
        using var deletedResponse = await deleted;
        Assert.Equal(HttpStatusCode.OK, readyResponse.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, deletedResponse.StatusCode);
        Assert.Equal(["/ready"], _backend.Requests.Select(r => r.RawTarget));
    }

    [Fact]
    public async Task A_client_that_goes_away_while_held_frees_its_slot_and_the_slots_are_limited()
    {
        _kubernetes.Upsert("default", "cold", SandboxObjects.BatchSandbox(ready: 0));
        var ingress = await StartIngressAsync(wake: false, holdSeconds: 30, holdMax: 1);
        using var leaving = new CancellationTokenSource();

        var held = _client.SendAsync(To(ingress, "cold"), leaving.Token);
        await Eventually.WaitAsync(() => Task.FromResult(Waiting(ingress)), n => n == 1, TimeSpan.FromSeconds(5), "the held request");
        using var beyond = await _client.SendAsync(To(ingress, "cold"), TestContext.Current.CancellationToken);
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);

        await Eventually.WaitAsync(() => Task.FromResult(Waiting(ingress)), n => n == 0, TimeSpan.FromSeconds(5), "the slot freed");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, beyond.StatusCode);
        Assert.Contains("1 requests are waiting already", await beyond.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_hung_lifecycle_API_costs_a_held_request_no_more_than_its_own_hold()
    {
        _kubernetes.Upsert("default", "sleepy", SandboxObjects.BatchSandbox(ready: 0, phase: "Paused"));
        _lifecycle.Hang = true;
        var ingress = await StartIngressAsync(holdSeconds: 2);

        var clock = Stopwatch.StartNew();
        using var response = await _client.SendAsync(To(ingress, "sleepy"), TestContext.Current.CancellationToken);

        // The hold is 2 s; before the fix the answer waited for the call's own 10 s timeout.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(8));
        await Eventually.WaitAsync(() => Task.FromResult(_lifecycle.InFlight), n => n == 0, TimeSpan.FromSeconds(10), "the resume call given up");
    }

    [Fact]
    public async Task Clients_that_leave_while_the_lifecycle_API_hangs_free_their_slots_at_once()
    {
        _kubernetes.Upsert("default", "sleepy", SandboxObjects.BatchSandbox(ready: 0, phase: "Paused"));
        _lifecycle.Hang = true;
        var ingress = await StartIngressAsync(holdSeconds: 30, holdMax: 5);
        using var leaving = new CancellationTokenSource();

        var held = Enumerable.Range(0, 5).Select(_ => _client.SendAsync(To(ingress, "sleepy"), leaving.Token)).ToList();
        await Eventually.WaitAsync(() => Task.FromResult(Waiting(ingress)), n => n == 5, TimeSpan.FromSeconds(5), "five held requests");
        await Eventually.WaitAsync(() => Task.FromResult(_lifecycle.InFlight), n => n == 1, TimeSpan.FromSeconds(5), "the one resume call hanging");
        await leaving.CancelAsync();
        foreach (var request in held)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        }

        // The slots are free while the one shared resume call still hangs: the next request waits instead of being refused.
        await Eventually.WaitAsync(() => Task.FromResult(Waiting(ingress)), n => n == 0, TimeSpan.FromSeconds(5), "the slots freed");
        Assert.Equal(1, _lifecycle.InFlight);
        var next = _client.SendAsync(To(ingress, "sleepy"), TestContext.Current.CancellationToken);
        await Eventually.WaitAsync(() => Task.FromResult(Waiting(ingress)), n => n == 1, TimeSpan.FromSeconds(5), "the next request held");
        Assert.False(next.IsCompleted);
    }

    [Fact]
    public async Task Without_a_hold_requests_for_paused_sandboxes_are_answered_at_once_and_resume_calls_are_capped()
    {
        const int sandboxes = 48;
        for (var i = 0; i < sandboxes; i++)
        {
            _kubernetes.Upsert("default", $"sleepy-{i}", SandboxObjects.BatchSandbox(ready: 0, phase: "Paused"));
        }

        _lifecycle.Hang = true;
        var ingress = await StartIngressAsync(holdSeconds: 0);

        var clock = Stopwatch.StartNew();
        var responses = await Task.WhenAll(Enumerable.Range(0, sandboxes).Select(i => _client.SendAsync(To(ingress, $"sleepy-{i}"))));
        var answered = clock.Elapsed;
        await Eventually.WaitAsync(() => Task.FromResult(_lifecycle.InFlight), n => n > 0, TimeSpan.FromSeconds(5), "resume calls under way");

        // Each answer is the ingress's own 503 at once (before the fix each waited for its call, 10 s); the calls go on
        // alone, never more than the cap at once.
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode));
        Assert.InRange(answered, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.InRange(_lifecycle.MaxInFlight, 1, OpenSandbox.Ingress.Lifecycle.SandboxWaker.MaxCallsInFlight);
        TestContext.Current.TestOutputHelper!.WriteLine($"{sandboxes} paused sandboxes answered in {answered.TotalMilliseconds:F0} ms; calls in flight at most {_lifecycle.MaxInFlight}");
    }
}

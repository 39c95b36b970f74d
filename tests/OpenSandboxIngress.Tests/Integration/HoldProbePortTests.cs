using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// <c>--hold-probe-port</c> through the Kubernetes API emulator: a sandbox whose resource has its endpoint but is not
/// ready yet, whose server starts listening while a request is held.
/// </summary>
public sealed class HoldProbePortTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(30) };

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    private async Task<KubernetesApiEmulator> EmulatorAsync(ProviderType provider = ProviderType.BatchSandbox)
    {
        var emulator = provider == ProviderType.AgentSandbox
            ? await KubernetesApiEmulator.StartAsync("agents.x-k8s.io", "v1alpha1", "sandboxes", "Sandbox")
            : await KubernetesApiEmulator.StartAsync();
        _owned.Add(emulator);
        return emulator;
    }

    private async Task<InProcessIngress> IngressAsync(KubernetesApiEmulator emulator, bool probePort, double holdSeconds,
        ProviderType provider = ProviderType.BatchSandbox)
    {
        var kubeconfig = Kubeconfig.Write(emulator.Server, emulator.RequiredToken, emulator.CertificateAuthorityBase64);
        var ingress = await InProcessIngress.StartAsync(configure: o => o with
        {
            Source = new SandboxSourceOptions { Provider = provider, KubeconfigPath = kubeconfig },
            Lifecycle = new LifecycleOptions { HoldTimeout = TimeSpan.FromSeconds(holdSeconds), HoldProbePort = probePort },
        });
        _owned.Add(ingress);
        await Eventually.WaitAsync(async () => (await _client.GetAsync(new Uri(ingress.BaseAddress, "/status.ok"))).StatusCode,
            s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "cache sync");
        return ingress;
    }

    private Task<HttpResponseMessage> SendAsync(InProcessIngress ingress, string sandbox, int port, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(ingress.BaseAddress, "/start")) { Content = new StringContent("body") };
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, $"{sandbox}-{port}");
        return _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    private static IngressMetrics Metrics(InProcessIngress ingress) => ingress.Services.GetRequiredService<IngressMetrics>();

    /// <summary>
    /// The port opens 500 ms after the request was sent, once it is held (and, with probing, refused). The resource
    /// stays not ready: with probing the port serves the request; without, the request is held with the port open until
    /// the hold's own deadline (3 s), and only a request after the resource turned ready reaches the sandbox.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_held_request_is_served_when_the_port_answers_with_probing_and_only_once_ready_without(bool probePort)
    {
        var emulator = await EmulatorAsync();
        emulator.Upsert("default", "starting", SandboxObjects.BatchSandbox(ready: 0));
        var ingress = await IngressAsync(emulator, probePort, holdSeconds: probePort ? 30 : 3);
        var metrics = Metrics(ingress);
        var port = FreePort.Next();

        var clock = Stopwatch.StartNew();
        var sent = SendAsync(ingress, "starting", port, TestContext.Current.CancellationToken);
        // The sandbox's server takes 500 ms to start listening.
        await Eventually.WaitAsync(() => Task.FromResult((metrics.Waiting, metrics.UpstreamConnectRetries, clock.Elapsed)),
            m => m.Waiting == 1 && (!probePort || m.UpstreamConnectRetries > 0) && m.Elapsed >= TimeSpan.FromMilliseconds(500),
            TimeSpan.FromSeconds(5), "the request held, its port refused, 500 ms gone");
        var opened = clock.Elapsed;
        await using var sandbox = await TestBackend.StartAsync(port);

        using var response = await sent;
        var answered = clock.Elapsed;
        TestContext.Current.TestOutputHelper!.WriteLine($"probe {probePort}: port opened at {opened.TotalMilliseconds:F0} ms, answered at {answered.TotalMilliseconds:F0} ms with {(int)response.StatusCode}");
        if (probePort)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("POST /start", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            Assert.True(answered < TimeSpan.FromSeconds(2), $"answered after {answered.TotalMilliseconds:F0} ms");
            Assert.Equal(1, metrics.PortProbesServed);
            return;
        }

        // Held to its deadline with the port open the whole time, and the sandbox saw nothing.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Empty(sandbox.Requests);
        emulator.Upsert("default", "starting", SandboxObjects.BatchSandbox(ready: 1));
        var ready = await Eventually.WaitAsync(async () =>
        {
            using var again = await SendAsync(ingress, "starting", port, TestContext.Current.CancellationToken);
            return again.StatusCode;
        }, status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(5), "the request after the resource turned ready");
        Assert.Equal(HttpStatusCode.OK, ready);
        Assert.Equal(0, metrics.PortProbesServed);
    }

    [Fact]
    public async Task A_port_that_never_opens_gets_the_hold_deadline_and_fifty_held_requests_make_a_bounded_number_of_attempts()
    {
        var emulator = await EmulatorAsync();
        emulator.Upsert("default", "closed", SandboxObjects.BatchSandbox(ready: 0));
        var ingress = await IngressAsync(emulator, probePort: true, holdSeconds: 2);
        var metrics = Metrics(ingress);
        var port = FreePort.Next();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => SendAsync(ingress, "closed", port, TestContext.Current.CancellationToken)));

        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("5", response.Headers.RetryAfter?.ToString());
            Assert.Contains("not ready", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
            response.Dispose();
        }

        // Each request tries at 0, 25, 75, 175, 375 ms and then every 400 ms: at most 9 attempts in its 2 s.
        var attempts = 50 + metrics.UpstreamConnectRetries;
        TestContext.Current.TestOutputHelper!.WriteLine($"50 requests held 2 s on a closed port: {attempts} connection attempts");
        Assert.InRange(attempts, 50 * 5, 50 * 9);
        Assert.Equal(0, metrics.Waiting);
    }

    [Fact]
    public async Task A_client_that_leaves_while_its_port_is_probed_frees_its_slot()
    {
        var emulator = await EmulatorAsync();
        emulator.Upsert("default", "closed", SandboxObjects.BatchSandbox(ready: 0));
        var ingress = await IngressAsync(emulator, probePort: true, holdSeconds: 30);
        var metrics = Metrics(ingress);
        using var leaving = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var sent = SendAsync(ingress, "closed", FreePort.Next(), leaving.Token);
        await Eventually.WaitAsync(() => Task.FromResult((metrics.Waiting, metrics.UpstreamConnectRetries)),
            m => m.Waiting == 1 && m.UpstreamConnectRetries > 0, TimeSpan.FromSeconds(5), "the request held, its port refused");
        await leaving.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sent);
        await Eventually.WaitAsync(() => Task.FromResult(metrics.Waiting), n => n == 0, TimeSpan.FromSeconds(5), "the slot freed");
    }

    [Fact]
    public async Task A_sandbox_deleted_while_its_port_is_probed_is_404()
    {
        var emulator = await EmulatorAsync();
        emulator.Upsert("default", "doomed", SandboxObjects.BatchSandbox(ready: 0));
        var ingress = await IngressAsync(emulator, probePort: true, holdSeconds: 30);
        var metrics = Metrics(ingress);

        var sent = SendAsync(ingress, "doomed", FreePort.Next(), TestContext.Current.CancellationToken);
        await Eventually.WaitAsync(() => Task.FromResult(metrics.UpstreamConnectRetries), n => n > 0, TimeSpan.FromSeconds(5), "the port refused");
        emulator.Delete("default", "doomed");

        using var response = await sent;
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task An_agent_sandbox_with_its_service_name_and_not_yet_ready_is_served_once_its_port_answers()
    {
        var emulator = await EmulatorAsync(ProviderType.AgentSandbox);
        emulator.Upsert("default", "agent", SandboxObjects.AgentSandbox("localhost", ready: false));
        var ingress = await IngressAsync(emulator, probePort: true, holdSeconds: 30, ProviderType.AgentSandbox);
        var metrics = Metrics(ingress);
        var port = FreePort.Next();

        var clock = Stopwatch.StartNew();
        var sent = SendAsync(ingress, "agent", port, TestContext.Current.CancellationToken);
        await Eventually.WaitAsync(() => Task.FromResult(metrics.UpstreamConnectRetries), n => n > 0, TimeSpan.FromSeconds(5), "the port refused");
        await using var sandbox = await TestBackend.StartAsync(port);

        using var response = await sent;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"answered after {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal($"localhost:{port}", sandbox.LastRequest.Headers["Host"]);
    }

    /// <summary>
    /// A probe that the hold ends (the sandbox starts pausing) leaves nothing of its failed attempt behind: the hold
    /// waits out the pause with the port open and nothing sent, then forwards the same request once the sandbox is ready.
    /// </summary>
    [Fact]
    public async Task A_held_request_whose_probe_was_ended_by_a_pause_is_forwarded_once_the_sandbox_is_ready()
    {
        var emulator = await EmulatorAsync();
        emulator.Upsert("default", "napping", SandboxObjects.BatchSandbox(ready: 0));
        var ingress = await IngressAsync(emulator, probePort: true, holdSeconds: 30);
        var metrics = Metrics(ingress);
        var directory = ingress.Services.GetRequiredService<SandboxDirectory>();
        var port = FreePort.Next();

        var sent = SendAsync(ingress, "napping", port, TestContext.Current.CancellationToken);
        await Eventually.WaitAsync(() => Task.FromResult(metrics.UpstreamConnectRetries), n => n > 0, TimeSpan.FromSeconds(5), "the port refused");
        emulator.Upsert("default", "napping", SandboxObjects.BatchSandbox(ready: 0, phase: "Pausing"));
        await Eventually.WaitAsync(() => Task.FromResult(directory.Lookup("napping").Record?.Readiness.State), s => s == ReadinessState.Pausing,
            TimeSpan.FromSeconds(5), "the pause seen");
        await using var sandbox = await TestBackend.StartAsync(port);

        // A probe still running would reach the open port within 400 ms; the pause holds the request instead.
        Assert.NotSame(sent, await Task.WhenAny(sent, Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken)));
        Assert.Empty(sandbox.Requests);
        emulator.Upsert("default", "napping", SandboxObjects.BatchSandbox(ready: 1));

        using var response = await sent;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("POST /start", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}

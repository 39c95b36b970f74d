using System.Diagnostics;
using System.Net;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;
using OpenSandbox.Ingress.Tests.Infrastructure.KubernetesEmulator;

namespace OpenSandbox.Ingress.Tests.Integration;

/// <summary>
/// Traces (SPEC §15) from the ingress binary to an OTLP/HTTP receiver. A process of its own, because the activity
/// listener of a tracer provider hears every ingress in the test process.
/// </summary>
public sealed class TracingProcessTests : IAsyncLifetime
{
    private const int Server = 2;
    private const int Client = 3;
    private const int SpanQueueCapacity = 2048;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly List<IAsyncDisposable> _owned = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    private async Task<T> Own<T>(Task<T> starting) where T : IAsyncDisposable
    {
        var owned = await starting;
        _owned.Add(owned);
        return owned;
    }

    private static IngressLaunch Exporting(Uri? endpoint, params (string Name, string Value)[] more) => new()
    {
        Environment = new Dictionary<string, string>(more.Select(v => KeyValuePair.Create(v.Name, v.Value)))
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint?.ToString() ?? "",
            ["OTEL_SERVICE_NAME"] = "ingress-under-test",
        },
    };

    private async Task<HttpResponseMessage> GetAsync(IngressProcess ingress, string routingKey, string path, string? traceParent)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{ingress.Port}{path}");
        request.Headers.TryAddWithoutValidation(IngressHeaders.IngressTo, routingKey);
        if (traceParent is not null)
        {
            request.Headers.TryAddWithoutValidation("traceparent", traceParent);
        }

        return await _client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static (string TraceId, string SpanId, string TraceParent) NewContext()
    {
        var trace = ActivityTraceId.CreateRandom().ToHexString();
        var span = ActivitySpanId.CreateRandom().ToHexString();
        return (trace, span, $"00-{trace}-{span}-01");
    }

    [Fact]
    public async Task A_request_with_a_traceparent_continues_its_trace_through_the_ingress_to_the_sandbox()
    {
        var receiver = await Own(OtlpReceiver.StartAsync());
        var sandbox = await Own(BackendAndManifest.StartAsync("traced"));
        var ingress = await Own(IngressProcess.StartAsync(Exporting(receiver.Endpoint, ("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer c0llector")),
            "--provider-type", "file", "--sandboxes-dir", sandbox.Directory));
        var (trace, parent, traceParent) = NewContext();

        using var response = await GetAsync(ingress, sandbox.RoutingKey, "/hello", traceParent);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = sandbox.Backend.LastRequest.Headers["traceparent"].Split('-');
        Assert.Equal(trace, seen[1]);
        var spans = await Eventually.WaitAsync(() => Task.FromResult(receiver.InTrace(trace).ToList()), s => s.Count >= 2, Deadline, "two spans exported");
        var server = Assert.Single(spans, s => s.Kind == Server);
        var upstream = Assert.Single(spans, s => s.Kind == Client);
        Assert.Equal(("forwarded", parent), (server.Name, server.ParentSpanId));
        Assert.Equal(("upstream", server.SpanId), (upstream.Name, upstream.ParentSpanId));
        Assert.Equal(upstream.SpanId, seen[2]);
        Assert.Equal("traced", server.Attributes["opensandbox.sandbox.id"]);
        Assert.Equal((long)sandbox.Backend.Port, server.Attributes["opensandbox.sandbox.port"]);
        Assert.Equal("header", server.Attributes["opensandbox.routing.mode"]);
        Assert.Equal(200L, server.Attributes["http.response.status_code"]);
        Assert.Equal((long)"GET /hello".Length, server.Attributes["opensandbox.bytes.sent"]);
        Assert.Equal(0L, server.Attributes["opensandbox.bytes.received"]);
        Assert.Equal("ingress-under-test", server.ServiceName);
        Assert.Equal("Bearer c0llector", receiver.LastAuthorization);
        await Eventually.WaitAsync(() => Task.FromResult(ingress.Output), o => o.Contains($"\"TraceId\":\"{trace}\"", StringComparison.Ordinal),
            Deadline, "the access line with the trace id");
    }

    [Fact]
    public async Task A_parent_that_was_not_sampled_is_honoured_and_its_context_still_reaches_the_sandbox()
    {
        var receiver = await Own(OtlpReceiver.StartAsync());
        var sandbox = await Own(BackendAndManifest.StartAsync("unsampled"));
        var ingress = await Own(IngressProcess.StartAsync(Exporting(receiver.Endpoint, ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "1")), "--provider-type", "file", "--sandboxes-dir", sandbox.Directory));
        var (skipped, _, _) = NewContext();
        var (sampled, _, sampledParent) = NewContext();

        using (var response = await GetAsync(ingress, sandbox.RoutingKey, "/", $"00-{skipped}-{ActivitySpanId.CreateRandom().ToHexString()}-00"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var seen = sandbox.Backend.LastRequest.Headers["traceparent"].Split('-');
        using (var response = await GetAsync(ingress, sandbox.RoutingKey, "/", sampledParent))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The sampled request's spans came in the same batch or a later one than the unsampled request's would have.
        await Eventually.WaitAsync(() => Task.FromResult(receiver.InTrace(sampled).Count()), n => n >= 2, Deadline, "the sampled request's spans");
        Assert.Empty(receiver.InTrace(skipped));
        Assert.Equal((skipped, "00"), (seen[1], seen[3]));
    }

    [Fact]
    public async Task The_ingress_own_answer_names_the_span_and_a_request_without_context_starts_a_trace()
    {
        var receiver = await Own(OtlpReceiver.StartAsync());
        var sandbox = await Own(BackendAndManifest.StartAsync("known"));
        var ingress = await Own(IngressProcess.StartAsync(Exporting(receiver.Endpoint),
            "--provider-type", "file", "--sandboxes-dir", sandbox.Directory));

        using var response = await GetAsync(ingress, "unknown-8080", "/", traceParent: null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var span = await Eventually.WaitAsync(() => Task.FromResult(receiver.Spans.FirstOrDefault(s => s.Name == "SANDBOX_NOT_FOUND")),
            s => s is not null, Deadline, "the answer's span: " + string.Join(", ", receiver.Spans.Select(s => s.Name)));
        Assert.Equal("", span!.ParentSpanId);
        Assert.Equal(404L, span.Attributes["http.response.status_code"]);
    }

    [Fact]
    public async Task A_held_then_woken_request_shows_the_hold_and_the_wake_inside_its_span()
    {
        var receiver = await Own(OtlpReceiver.StartAsync());
        var backend = await Own(TestBackend.StartAsync());
        var kubernetes = await Own(KubernetesApiEmulator.StartAsync());
        var lifecycle = await Own(LifecycleApiEmulator.StartAsync(kubernetes));
        kubernetes.Upsert("default", "sleepy", SandboxObjects.BatchSandbox(ready: 0, phase: "Paused"));
        var keyFile = Path.Combine(Directory.CreateTempSubdirectory("osb-key-").FullName, "api-key");
        await File.WriteAllTextAsync(keyFile, lifecycle.RequiredKey, TestContext.Current.CancellationToken);
        var ingress = await Own(IngressProcess.StartAsync(Exporting(receiver.Endpoint),
            "--kubeconfig", Kubeconfig.Write(kubernetes.Server, null, null), "--wake-on-request", "--lifecycle-api-url", lifecycle.BaseAddress.ToString(),
            "--lifecycle-api-key-file", keyFile, "--hold-timeout", "10"));
        var (trace, _, traceParent) = NewContext();

        using var response = await GetAsync(ingress, $"sleepy-{backend.Port}", "/", traceParent);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var spans = await Eventually.WaitAsync(() => Task.FromResult(receiver.InTrace(trace).ToList()), s => s.Count >= 4, Deadline, "four spans exported");
        var server = Assert.Single(spans, s => s.Kind == Server);
        var hold = Assert.Single(spans, s => s.Name == "hold");
        var wake = Assert.Single(spans, s => s.Name == "wake");
        var upstream = Assert.Single(spans, s => s.Name == "upstream");
        Assert.Equal(server.SpanId, hold.ParentSpanId);
        Assert.Equal(hold.SpanId, wake.ParentSpanId);
        Assert.Equal(server.SpanId, upstream.ParentSpanId);
        Assert.Equal("Ready", hold.Attributes["opensandbox.hold.ended"]);
        Assert.Equal(true, wake.Attributes["opensandbox.wake.accepted"]);
    }

    [Theory]
    [InlineData("slow")]
    [InlineData("down")]
    public async Task A_collector_that_is_slow_or_down_costs_requests_nothing_and_a_full_queue_drops_and_counts(string collector)
    {
        var receiver = await Own(OtlpReceiver.StartAsync());
        receiver.Delay = TimeSpan.FromSeconds(30);
        var endpoint = collector == "slow" ? receiver.Endpoint : new Uri($"http://127.0.0.1:{FreePort.Next()}");
        var sandbox = await Own(BackendAndManifest.StartAsync("busy"));
        var metricsPort = FreePort.Next();
        var ingress = await Own(IngressProcess.StartAsync(Exporting(endpoint, ("OTEL_EXPORTER_OTLP_TIMEOUT", "30000")),
            "--provider-type", "file", "--sandboxes-dir", sandbox.Directory, "--metrics-port", metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--drain-timeout", "1", "--log-level", "warn"));

        // Two spans a request: 1,600 requests are more than the queue and one batch in the exporter's hands.
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 1600; i++)
        {
            var clock = Stopwatch.StartNew();
            using var response = await GetAsync(ingress, sandbox.RoutingKey, "/", NewContext().TraceParent);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
        }

        var metrics = new Uri($"http://127.0.0.1:{metricsPort}");
        var dropped = await MetricsScrape.ValueAsync(metrics, "opensandbox_ingress_spans_total", "outcome=\"dropped\"");
        var exported = await MetricsScrape.ValueAsync(metrics, "opensandbox_ingress_spans_total", "outcome=\"exported\"");
        TestContext.Current.TestOutputHelper!.WriteLine(
            $"collector {collector}: slowest of 1,600 requests {slowest.TotalMilliseconds:F0} ms, {exported} spans handed to the exporter, {dropped} dropped, {receiver.Posts} posts of {receiver.Spans.Count} spans");
        Assert.True(slowest < TimeSpan.FromSeconds(2), $"a request took {slowest.TotalMilliseconds:F0} ms");
        if (collector == "slow")
        {
            // One batch (at most 512) is stuck in the exporter and 2,048 wait in the queue: the rest of the 3,200 spans are dropped.
            Assert.InRange(dropped, 3200 - 512 - SpanQueueCapacity, 3200 - SpanQueueCapacity);
        }
        else
        {
            // Refused at once: the queue keeps draining and nothing is dropped.
            Assert.True(exported > 0, "no span reached the exporter");
        }

        // Shutdown waits for the exporter at most its stated 2 s beyond the drain.
        var stopping = Stopwatch.StartNew();
        ingress.SendSigterm();
        Assert.Equal(0, await ingress.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(6), $"exit took {stopping.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task Without_an_endpoint_nothing_is_exported_and_the_client_context_reaches_the_sandbox_as_sent()
    {
        OtlpReceiver receiver;
        try
        {
            // The exporter's default endpoint: nothing must arrive there either.
            receiver = await Own(OtlpReceiver.StartAsync(port: 4318));
        }
        catch (IOException)
        {
            Assert.Skip("port 4318 is taken on this machine");
            return;
        }

        var sandbox = await Own(BackendAndManifest.StartAsync("plain"));
        var ingress = await Own(IngressProcess.StartAsync(Exporting(endpoint: null), "--provider-type", "file", "--sandboxes-dir", sandbox.Directory));
        var (_, _, traceParent) = NewContext();

        using var response = await GetAsync(ingress, sandbox.RoutingKey, "/", traceParent);
        ingress.SendSigterm();
        Assert.Equal(0, await ingress.WaitForExitAsync(Deadline));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(traceParent, sandbox.Backend.LastRequest.Headers["traceparent"]);
        Assert.Equal(0, receiver.Posts);
        Assert.Contains("\"TraceId\":\"-\"", ingress.Output, StringComparison.Ordinal);
    }
}

using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Lifecycle;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Proxy.Pipeline;
using OpenSandbox.Ingress.RenewIntent;
using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Security;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Unit.Lifecycle;

/// <summary>Holding (SPEC §13) on a bare <c>DefaultHttpContext</c>, with the clock driven by the test.</summary>
public sealed class LifecycleStageTests : IDisposable
{
    private static readonly SandboxReadiness Starting = SandboxReadiness.NotReady("sandbox not ready (ready: 0/1)");
    private readonly FakeTimeProvider _time = new();
    private readonly SandboxDirectory _directory = new(SandboxNaming.Exact);
    private readonly IngressMetrics _metrics;

    public LifecycleStageTests() => _metrics = new IngressMetrics(new RoutingOptions(), _directory, new RenewIntentCounters(), Discarded.Log);

    public void Dispose() => _metrics.Dispose();

    private LifecycleStage Stage(double holdSeconds = 5, int holdMax = 10, bool probePort = false) =>
        new(new LifecycleOptions { HoldTimeout = TimeSpan.FromSeconds(holdSeconds), HoldMaxRequests = holdMax, HoldProbePort = probePort }, _directory,
            new ResolutionStage(new RouteReader(new RoutingOptions()), _directory, new AccessGuard(SecureAccessKeys.None, _time)),
            _time, _metrics, NullLogger<LifecycleStage>.Instance);

    private StageContext Held(SandboxRecord sandbox)
    {
        _directory.ReplaceAll([sandbox]);
        return StageContext.Resolved(sandbox);
    }

    [Fact]
    public async Task A_ready_sandbox_passes_straight_through()
    {
        var context = Held(StageContext.Sandbox());

        await Stage().InvokeAsync(context.Http, context.Next);

        Assert.Equal(1, context.NextCalls);
    }

    [Fact]
    public async Task A_held_request_goes_on_with_the_newer_record_once_the_sandbox_is_ready()
    {
        var context = Held(StageContext.Sandbox(readiness: Starting));
        var held = Stage().InvokeAsync(context.Http, context.Next);
        await Eventually.WaitAsync(() => Task.FromResult(_metrics.Waiting), n => n == 1, TimeSpan.FromSeconds(5), "the held request");

        var ready = StageContext.Sandbox();
        _directory.Upsert(ready);
        await held;

        Assert.Equal(1, context.NextCalls);
        Assert.Same(ready, context.Feature!.Sandbox);
        Assert.Equal(0, _metrics.Waiting);
    }

    [Fact]
    public async Task The_hold_deadline_is_its_own_clock_503_with_Retry_After()
    {
        var context = Held(StageContext.Sandbox(readiness: Starting));
        var held = Stage(holdSeconds: 2).InvokeAsync(context.Http, context.Next);
        await Eventually.WaitAsync(() => Task.FromResult(_metrics.Waiting), n => n == 1, TimeSpan.FromSeconds(5), "the held request");

        _time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.False(held.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(0.2));
        await held.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        Assert.Equal((503, 0), (context.Status, context.NextCalls));
        Assert.Equal("5", context.Http.Response.Headers.RetryAfter.ToString());
    }

    [Fact]
    public async Task A_sandbox_deleted_while_held_is_404()
    {
        var context = Held(StageContext.Sandbox(readiness: Starting));
        var held = Stage().InvokeAsync(context.Http, context.Next);
        await Eventually.WaitAsync(() => Task.FromResult(_metrics.Waiting), n => n == 1, TimeSpan.FromSeconds(5), "the held request");

        _directory.Remove("default", "box");
        await held;

        Assert.Equal((404, 0), (context.Status, context.NextCalls));
    }

    [Fact]
    public async Task A_client_that_leaves_frees_its_slot_at_once_and_the_slots_are_limited()
    {
        var stage = Stage(holdSeconds: 30, holdMax: 1);
        var leaving = Held(StageContext.Sandbox(readiness: Starting));
        using var aborted = new CancellationTokenSource();
        leaving.Http.RequestAborted = aborted.Token;
        var held = stage.InvokeAsync(leaving.Http, leaving.Next);
        await Eventually.WaitAsync(() => Task.FromResult(_metrics.Waiting), n => n == 1, TimeSpan.FromSeconds(5), "the held request");

        var beyond = StageContext.Resolved(StageContext.Sandbox(readiness: Starting));
        await stage.InvokeAsync(beyond.Http, beyond.Next);
        await aborted.CancelAsync();
        await held;

        Assert.Equal(503, beyond.Status);
        Assert.Contains("1 requests are waiting already", beyond.Text, StringComparison.Ordinal);
        Assert.Equal((0, 0L), (leaving.NextCalls, _metrics.Waiting));
    }

    [Fact]
    public async Task A_token_that_appears_while_held_is_checked_before_the_request_goes_on()
    {
        var context = Held(StageContext.Sandbox(readiness: Starting));
        var held = Stage().InvokeAsync(context.Http, context.Next);
        await Eventually.WaitAsync(() => Task.FromResult(_metrics.Waiting), n => n == 1, TimeSpan.FromSeconds(5), "the held request");

        _directory.Upsert(StageContext.Sandbox(token: "t0ken"));
        await held;

        Assert.Equal((401, 0), (context.Status, context.NextCalls));
    }

    [Fact]
    public async Task Without_a_hold_a_sandbox_that_is_not_ready_is_answered_at_once()
    {
        var context = Held(StageContext.Sandbox(readiness: Starting));

        await Stage(holdSeconds: 0).InvokeAsync(context.Http, context.Next);

        Assert.Equal((503, 0), (context.Status, context.NextCalls));
    }

    [Fact]
    public async Task With_port_probing_a_starting_sandbox_gets_the_request_at_once_and_the_hold_ends_when_the_port_took_it()
    {
        var context = Held(StageContext.Sandbox(readiness: Starting));
        PortProbe? seen = null;
        var release = new TaskCompletionSource();
        context.Next = async http =>
        {
            // As the connect-retry handler does once a connection is made; the response then takes its time.
            seen = http.Features.GetRequiredFeature<SandboxRequestFeature>().Probe;
            seen!.Report(PortProbeOutcome.Sent);
            await release.Task;
        };

        var held = Stage(probePort: true).InvokeAsync(context.Http, context.Next);
        await Eventually.WaitAsync(() => Task.FromResult(_metrics.Waiting), n => n == 0, TimeSpan.FromSeconds(5), "the slot freed once the port took the request");

        Assert.NotNull(seen);
        Assert.False(held.IsCompleted);
        release.SetResult();
        await held;
        Assert.Equal(TimeSpan.FromSeconds(5), seen.Window);
    }

    [Fact]
    public async Task A_sandbox_deleted_while_its_port_is_probed_ends_the_attempt_with_404()
    {
        var context = Held(StageContext.Sandbox(readiness: Starting));
        context.Next = async http =>
        {
            // A port that keeps refusing: the handler waits between attempts until the hold abandons the probe.
            var probe = http.Features.GetRequiredFeature<SandboxRequestFeature>().Probe!;
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, probe.Abandoned);
            }
            catch (OperationCanceledException)
            {
                probe.Stop(PortProbeOutcome.Abandoned);
            }

            http.Response.StatusCode = 502;
        };
        var held = Stage(probePort: true).InvokeAsync(context.Http, context.Next);
        await Eventually.WaitAsync(() => Task.FromResult(context.Feature!.Probe is not null), probing => probing, TimeSpan.FromSeconds(5), "the probe");

        _directory.Remove("default", "box");
        await held.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        Assert.Equal(404, context.Status);
        Assert.Equal(0, _metrics.Waiting);
    }

    [Fact]
    public async Task A_probe_whose_port_refuses_until_the_deadline_gets_the_hold_deadline_answer()
    {
        var context = Held(StageContext.Sandbox(readiness: Starting));
        context.Next = http =>
        {
            http.Features.GetRequiredFeature<SandboxRequestFeature>().Probe!.Stop(PortProbeOutcome.DeadlinePassed);
            return Task.CompletedTask;
        };

        await Stage(probePort: true).InvokeAsync(context.Http, context.Next);

        Assert.Equal(503, context.Status);
        Assert.Equal("5", context.Http.Response.Headers.RetryAfter.ToString());
        Assert.Null(context.Feature!.Probe);
    }

    [Fact]
    public async Task A_paused_sandbox_is_not_probed()
    {
        var context = Held(StageContext.Sandbox(readiness: new SandboxReadiness(ReadinessState.Paused, "sandbox is paused")));
        var held = Stage(probePort: true).InvokeAsync(context.Http, context.Next);
        await Eventually.WaitAsync(() => Task.FromResult(_metrics.Waiting), n => n == 1, TimeSpan.FromSeconds(5), "the held request");

        Assert.Equal(0, context.NextCalls);
        _directory.Upsert(StageContext.Sandbox());
        await held;
        Assert.Equal(1, context.NextCalls);
        Assert.Null(context.Feature!.Probe);
    }
}

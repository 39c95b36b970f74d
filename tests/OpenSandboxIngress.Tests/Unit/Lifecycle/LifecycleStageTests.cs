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

    private LifecycleStage Stage(double holdSeconds = 5, int holdMax = 10) =>
        new(new LifecycleOptions { HoldTimeout = TimeSpan.FromSeconds(holdSeconds), HoldMaxRequests = holdMax }, _directory,
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
}

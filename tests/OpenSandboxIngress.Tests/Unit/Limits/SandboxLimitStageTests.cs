using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Limits;
using OpenSandbox.Ingress.Metrics;
using OpenSandbox.Ingress.RenewIntent;
using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Unit.Limits;

public sealed class SandboxLimitStageTests
{
    [Fact]
    public async Task A_sandbox_at_its_limit_is_429_until_one_of_its_requests_ends_and_other_sandboxes_are_not_affected()
    {
        using var metrics = new IngressMetrics(new RoutingOptions(), new SandboxDirectory(SandboxNaming.Exact), new RenewIntentCounters(), Discarded.Log);
        using var stage = new SandboxLimitStage(new LimitOptions { MaxRequestsPerSandbox = 2 }, metrics);
        var release = new TaskCompletionSource();
        var running = new List<Task>();
        for (var i = 0; i < 2; i++)
        {
            var inFlight = StageContext.Resolved(StageContext.Sandbox());
            inFlight.Next = _ => release.Task;
            running.Add(stage.InvokeAsync(inFlight.Http, inFlight.Next));
        }

        var third = StageContext.Resolved(StageContext.Sandbox());
        await stage.InvokeAsync(third.Http, third.Next);
        var other = StageContext.Resolved(StageContext.Sandbox("other"));
        await stage.InvokeAsync(other.Http, other.Next);
        release.SetResult();
        await Task.WhenAll(running);
        var later = StageContext.Resolved(StageContext.Sandbox());
        await stage.InvokeAsync(later.Http, later.Next);

        Assert.Equal((429, 0), (third.Status, third.NextCalls));
        Assert.Equal("1", third.Http.Response.Headers.RetryAfter.ToString());
        Assert.Equal(1, other.NextCalls);
        Assert.Equal(1, later.NextCalls);
    }
}

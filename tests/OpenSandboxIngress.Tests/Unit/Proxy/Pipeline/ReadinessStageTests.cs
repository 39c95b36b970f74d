using OpenSandbox.Ingress.Proxy.Pipeline;
using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy.Pipeline;

public sealed class ReadinessStageTests
{
    [Fact]
    public async Task A_ready_sandbox_gets_its_destination_and_the_next_stage()
    {
        var context = StageContext.Resolved(StageContext.Sandbox(endpoint: "fd00::7"), port: 9000);

        await new ReadinessStage().InvokeAsync(context.Http, context.Next);

        Assert.Equal(1, context.NextCalls);
        Assert.Equal("http://[fd00::7]:9000", context.Feature!.Destination.Prefix);
    }

    [Theory]
    [InlineData(nameof(ReadinessState.NotReady), "sandbox not ready (ready: 0/1)")]
    [InlineData(nameof(ReadinessState.NoEndpoint), "sandbox has no endpoints annotation")]
    [InlineData(nameof(ReadinessState.Paused), "sandbox is Paused")]
    public async Task A_sandbox_that_is_not_ready_is_503_with_its_reason_and_Retry_After(string state, string reason)
    {
        var context = StageContext.Resolved(StageContext.Sandbox(readiness: new SandboxReadiness(Enum.Parse<ReadinessState>(state), reason)));

        await new ReadinessStage().InvokeAsync(context.Http, context.Next);

        Assert.Equal((503, 0), (context.Status, context.NextCalls));
        Assert.Equal($"OpenSandbox Ingress: {reason}: box\n", context.Text);
        Assert.Equal("5", context.Http.Response.Headers.RetryAfter.ToString());
    }
}

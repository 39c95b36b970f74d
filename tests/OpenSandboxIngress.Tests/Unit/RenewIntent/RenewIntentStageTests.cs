using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.RenewIntent;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Unit.RenewIntent;

public sealed class RenewIntentStageTests
{
    private sealed class Recorder : IRenewIntents
    {
        public List<(string SandboxId, int Port, string PathAndQuery)> Observed { get; } = [];

        public void Observe(string sandboxId, int port, string pathAndQuery) => Observed.Add((sandboxId, port, pathAndQuery));
    }

    [Fact]
    public async Task A_request_on_its_way_to_the_sandbox_is_observed_with_what_the_sandbox_receives()
    {
        var recorder = new Recorder();
        var context = StageContext.Resolved(StageContext.Sandbox(), 9000, "/work?token=x");

        await new RenewIntentStage(recorder).InvokeAsync(context.Http, context.Next);

        Assert.Equal([("box", 9000, "/work?token=x")], recorder.Observed);
        Assert.Equal(1, context.NextCalls);
    }

    [Fact]
    public async Task A_request_that_says_skip_renews_nothing_and_still_goes_on()
    {
        var recorder = new Recorder();
        var context = StageContext.Resolved(StageContext.Sandbox());
        context.Http.Request.Headers[IngressHeaders.AccessRenew] = "SKIP";

        await new RenewIntentStage(recorder).InvokeAsync(context.Http, context.Next);

        Assert.Empty(recorder.Observed);
        Assert.Equal(1, context.NextCalls);
    }
}

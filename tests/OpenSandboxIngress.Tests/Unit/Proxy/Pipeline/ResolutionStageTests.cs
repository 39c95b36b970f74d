using Microsoft.Extensions.Time.Testing;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Proxy.Pipeline;
using OpenSandbox.Ingress.Sandbox;
using OpenSandbox.Ingress.Security;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy.Pipeline;

/// <summary>Route, sandbox and access, once per request (SPEC §4, §5, §8); the stage on a bare <c>DefaultHttpContext</c>.</summary>
public sealed class ResolutionStageTests
{
    private readonly SandboxDirectory _directory = new(SandboxNaming.Exact);

    private ResolutionStage Stage(RoutingMode mode = RoutingMode.Header) =>
        new(new RouteReader(new RoutingOptions { Mode = mode }), _directory, new AccessGuard(SecureAccessKeys.None, new FakeTimeProvider()));

    [Fact]
    public async Task A_known_sandbox_gets_its_feature_and_the_next_stage_whatever_its_readiness()
    {
        var paused = StageContext.Sandbox(readiness: new SandboxReadiness(ReadinessState.Paused, "sandbox is Paused"));
        _directory.ReplaceAll([paused]);
        var context = new StageContext("/a?b=1", "box-8080");

        await Stage().InvokeAsync(context.Http, context.Next);

        Assert.Equal(1, context.NextCalls);
        Assert.Same(paused, context.Feature!.Sandbox);
        Assert.Equal(("box", 8080, "/a?b=1"), (context.Feature.SandboxId, context.Feature.Port, context.Feature.PathAndQuery));
    }

    [Theory]
    [InlineData("nobody-8080", 404, "sandbox nobody not found")]
    [InlineData("box-0", 400, "port")]
    [InlineData("locked-8080", 401, "requires secure access")]
    public async Task A_request_that_cannot_be_forwarded_is_answered_here(string routeTo, int status, string reason)
    {
        _directory.ReplaceAll([StageContext.Sandbox(), StageContext.Sandbox("locked", token: "t0ken")]);
        var context = new StageContext("/", routeTo);

        await Stage().InvokeAsync(context.Http, context.Next);

        Assert.Equal(0, context.NextCalls);
        Assert.Null(context.Feature);
        Assert.Equal(status, context.Status);
        Assert.Contains(reason, context.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Before_the_first_sync_every_request_is_503_cache_not_synced()
    {
        var context = new StageContext("/", "box-8080");

        await Stage().InvokeAsync(context.Http, context.Next);

        Assert.Equal((503, 0), (context.Status, context.NextCalls));
        Assert.Equal("OpenSandbox Ingress: cache not synced\n", context.Text);
    }

    [Fact]
    public async Task The_same_name_in_two_namespaces_is_502_naming_both()
    {
        _directory.ReplaceAll([StageContext.Sandbox() with { Namespace = "a" }, StageContext.Sandbox() with { Namespace = "b" }]);
        var context = new StageContext("/", "box-8080");

        await Stage().InvokeAsync(context.Http, context.Next);

        Assert.Equal(502, context.Status);
        Assert.Contains("(a, b)", context.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plain_CONNECT_is_405_before_anything_is_looked_up()
    {
        var context = new StageContext("box:443", method: "CONNECT");

        await Stage().InvokeAsync(context.Http, context.Next);

        Assert.Equal((405, 0), (context.Status, context.NextCalls));
    }

    [Fact]
    public async Task Uri_mode_forwards_the_rest_of_the_path_and_names_the_prefix()
    {
        _directory.ReplaceAll([StageContext.Sandbox()]);
        var context = new StageContext("/box/8080/api/x?y=1");

        await Stage(RoutingMode.Uri).InvokeAsync(context.Http, context.Next);

        Assert.Equal(("/api/x?y=1", "/box/8080"), (context.Feature!.PathAndQuery, context.Feature.ForwardedPrefix));
    }
}

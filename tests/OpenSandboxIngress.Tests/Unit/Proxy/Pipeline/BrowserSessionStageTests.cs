using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Time.Testing;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Proxy.Pipeline;
using OpenSandbox.Ingress.Security;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy.Pipeline;

public sealed class BrowserSessionStageTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
    private readonly SecureAccessKeys _keys;

    public BrowserSessionStageTests() => Assert.True(SecureAccessKeys.TryParse("k=c2VjcmV0", out _keys!, out _));

    private BrowserSessionStage Stage(BrowserSessionOptions? options = null) =>
        new(new BrowserCredentials(_keys, _time), new SpentHandoffs(_time), options ?? new BrowserSessionOptions { Enabled = true });

    private static StageContext Request(string target, AccessCredential credential, string method = "GET", string? prefix = null, ulong expires = 0,
        RouteSignature? signature = null)
    {
        var context = new StageContext(target, "box-8080", method);
        var route = new SandboxRoute("box", 8080, prefix is null ? target : target[prefix.Length..], ForwardedPrefix: prefix, Signature: signature);
        context.Http.Features.Set(new SandboxRequestFeature(route, StageContext.Sandbox(token: "tok"), route.PathAndQuery, prefix)
        {
            Access = AccessDecision.Allow(false, credential, expires),
        });
        return context;
    }

    [Fact]
    public async Task A_get_with_the_parameter_is_sent_to_the_clean_url_with_a_host_only_http_only_cookie()
    {
        var context = Request("/tree?a=1&opensandbox-access=tok&b=2", AccessCredential.Parameter);

        await Stage().InvokeAsync(context.Http, context.Next);

        Assert.Equal(303, context.Status);
        Assert.Equal("/tree?a=1&b=2", context.Http.Response.Headers.Location.ToString());
        var cookie = context.Http.Response.Headers.SetCookie.ToString();
        Assert.StartsWith("opensandbox-session=k.", cookie, StringComparison.Ordinal);
        Assert.Contains("path=/;", cookie, StringComparison.Ordinal);
        Assert.Contains("max-age=43200", cookie, StringComparison.Ordinal);
        Assert.Contains("samesite=lax", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.Ordinal);
        Assert.DoesNotContain("domain", cookie, StringComparison.Ordinal);
        Assert.DoesNotContain("secure", cookie, StringComparison.Ordinal);
        Assert.Equal(0, context.NextCalls);
    }

    [Fact]
    public async Task Uri_mode_the_cookie_lives_under_the_prefix_and_ends_with_the_grant()
    {
        var context = Request("/box/8080/lab?opensandbox-access=g", AccessCredential.Parameter, prefix: "/box/8080", expires: 1_800_000_600);

        await Stage(new BrowserSessionOptions { Enabled = true, SameSite = SameSiteMode.None, AlwaysSecure = true }).InvokeAsync(context.Http, context.Next);

        Assert.Equal("/box/8080/lab", context.Http.Response.Headers.Location.ToString());
        var cookie = context.Http.Response.Headers.SetCookie.ToString();
        Assert.Contains("path=/box/8080;", cookie, StringComparison.Ordinal);
        Assert.Contains("max-age=600", cookie, StringComparison.Ordinal);
        Assert.Contains("secure", cookie, StringComparison.Ordinal);
        Assert.Contains("samesite=none", cookie, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_requests_go_on_without_the_parameter_and_without_the_session_cookie()
    {
        var context = Request("/api?opensandbox-access=tok", AccessCredential.Parameter, method: "POST");
        context.Http.Request.Headers.Cookie = "a=1; opensandbox-session=k.x.y; b=2";

        await Stage().InvokeAsync(context.Http, context.Next);

        Assert.Equal(1, context.NextCalls);
        Assert.Equal("/api", context.Feature!.PathAndQuery);
        Assert.Equal("a=1; b=2", context.Http.Request.Headers.Cookie.ToString());
    }

    [Fact]
    public async Task A_websocket_handshake_is_never_redirected()
    {
        var context = Request("/ws?opensandbox-access=tok", AccessCredential.Parameter);
        context.Http.Features.Set<IHttpUpgradeFeature>(new UpgradableRequest());

        await Stage().InvokeAsync(context.Http, context.Next);

        Assert.Equal(1, context.NextCalls);
        Assert.Equal("/ws", context.Feature!.PathAndQuery);
    }

    private sealed class UpgradableRequest : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => true;

        public Task<Stream> UpgradeAsync() => throw new InvalidOperationException("the stage does not upgrade");
    }

    [Theory]
    [InlineData("//evil.example/?opensandbox-access=tok", "/.//evil.example/")]
    [InlineData("/\\evil.example/x?opensandbox-access=tok", "/./\\evil.example/x")]
    public async Task A_target_that_reads_as_another_host_stays_a_path_of_this_host(string target, string location)
    {
        var context = Request(target, AccessCredential.Parameter);

        await Stage().InvokeAsync(context.Http, context.Next);

        Assert.Equal(303, context.Status);
        Assert.Equal(location, context.Http.Response.Headers.Location.ToString());
    }

    [Fact]
    public async Task A_signed_host_is_sent_scheme_relative_to_its_unsigned_host_with_a_hand_off_code()
    {
        var context = Request("/lab?x=1", AccessCredential.SignedRoute, signature: new RouteSignature("x2qxvk", "8e1e06e3k"));
        context.Http.Request.Scheme = "http";
        context.Http.Request.Host = new HostString("box-8080-x2qxvk-8e1e06e3k.sandboxes.example:8443");

        await Stage().InvokeAsync(context.Http, context.Next);

        Assert.Equal(303, context.Status);
        var location = context.Http.Response.Headers.Location.ToString();
        Assert.StartsWith("//box-8080.sandboxes.example:8443/lab?x=1&opensandbox-access=k.", location, StringComparison.Ordinal);
        Assert.Equal(0, context.Http.Response.Headers.SetCookie.Count);
    }

    [Fact]
    public async Task A_hand_off_code_becomes_a_cookie_once_and_a_replay_on_this_replica_is_401()
    {
        var stage = Stage();
        var code = BrowserSessionToken.IssueHandoff(_keys, "box", 8080, "tok", 1_800_003_600, 1_800_000_060);
        var first = Request($"/lab?opensandbox-access={code}", AccessCredential.Handoff, expires: 1_800_003_600);
        var replay = Request($"/lab?opensandbox-access={code}", AccessCredential.Handoff, expires: 1_800_003_600);

        await stage.InvokeAsync(first.Http, first.Next);
        await stage.InvokeAsync(replay.Http, replay.Next);

        Assert.Equal(303, first.Status);
        Assert.Equal("/lab", first.Http.Response.Headers.Location.ToString());
        Assert.Contains("max-age=3600", first.Http.Response.Headers.SetCookie.ToString(), StringComparison.Ordinal);
        Assert.Equal(401, replay.Status);
        Assert.Contains("used already", replay.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cookie_lines_without_the_session_pass_byte_for_byte_and_the_others_lose_only_the_session()
    {
        var context = Request("/api", AccessCredential.Session, method: "POST");
        context.Http.Request.Headers.Cookie = new[] { "a=1;b=2", "c=3;opensandbox-session=k.x.y;  d=4", "opensandbox-session=k.x.z", " e=5 ;opensandbox-session=k.x.w" };

        await Stage().InvokeAsync(context.Http, context.Next);

        Assert.Equal(["a=1;b=2", "c=3;d=4", " e=5"], context.Http.Request.Headers.Cookie.ToArray());
    }
}

using Microsoft.AspNetCore.Http;
using OpenSandbox.Ingress.Configuration;
using OpenSandbox.Ingress.Proxy;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy;

/// <summary>What the sandbox receives for Host and Origin (SPEC §7, README "Web apps and browsers"), on a bare <c>DefaultHttpContext</c>.</summary>
public sealed class ForwardingTransformerTests
{
    private static async Task<HttpRequestMessage> TransformAsync(string? origin, RoutingOptions routing, string? traceParent = null)
    {
        var context = StageContext.Resolved(StageContext.Sandbox(endpoint: "10.0.0.7"), 8080, "/api/contents");
        context.Http.Request.Scheme = "http";
        context.Http.Request.Host = new HostString("nb-8080.sandboxes.example.com");
        if (origin is not null)
        {
            context.Http.Request.Headers.Origin = origin;
        }

        if (traceParent is not null)
        {
            context.Http.Request.Headers["traceparent"] = traceParent;
        }

        context.Feature!.Destination = context.Feature.Sandbox.Address!.At(8080);
        var outgoing = new HttpRequestMessage(HttpMethod.Post, "http://placeholder/");
        await new ForwardingTransformer(routing).TransformRequestAsync(context.Http, outgoing, context.Feature.Destination.Prefix, CancellationToken.None);
        return outgoing;
    }

    private static string? Header(HttpRequestMessage request, string name) =>
        request.Headers.NonValidated.TryGetValues(name, out var values) ? values.ToString() : null;

    [Fact]
    public async Task A_same_origin_Origin_follows_the_Host_rewrite()
    {
        var sent = await TransformAsync("http://nb-8080.sandboxes.example.com", new RoutingOptions());

        Assert.Equal("10.0.0.7:8080", sent.Headers.Host);
        Assert.Equal("http://10.0.0.7:8080", Header(sent, "Origin"));
        Assert.Equal("nb-8080.sandboxes.example.com", Header(sent, IngressHeaders.ForwardedHost));
    }

    [Theory]
    [InlineData("http://evil.example.com")]
    [InlineData("http://other-8080.sandboxes.example.com")]
    [InlineData("null")]
    public async Task Any_other_Origin_is_left_as_it_came(string origin) =>
        Assert.Equal(origin, Header(await TransformAsync(origin, new RoutingOptions()), "Origin"));

    [Fact]
    public async Task Without_the_rewrite_or_with_the_client_Host_the_Origin_is_left_alone()
    {
        const string Own = "http://nb-8080.sandboxes.example.com";
        Assert.Equal(Own, Header(await TransformAsync(Own, new RoutingOptions { OriginRewrite = false }), "Origin"));

        var preserved = await TransformAsync(Own, new RoutingOptions { PreserveHost = true });
        Assert.Equal("nb-8080.sandboxes.example.com", preserved.Headers.Host);
        Assert.Equal(Own, Header(preserved, "Origin"));
        Assert.Equal("nb-8080.sandboxes.example.com", Header(preserved, IngressHeaders.ForwardedHost));
    }

    [Fact]
    public async Task With_traces_off_the_client_trace_context_passes_as_it_came()
    {
        const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

        Assert.Equal(TraceParent, Header(await TransformAsync(null, new RoutingOptions(), TraceParent), "traceparent"));
    }

    [Fact]
    public async Task With_the_prefix_kept_redirects_and_cookies_are_not_put_under_it_a_second_time()
    {
        // URI mode, --uri-prefix keep: the sandbox received /nb/8080/lab and builds its URLs with the prefix itself.
        var context = new StageContext("/nb/8080/lab");
        context.Http.Request.Scheme = "http";
        context.Http.Request.Host = new HostString("sandboxes.example.com");
        var sandbox = StageContext.Sandbox(name: "nb", endpoint: "10.0.0.7");
        var route = new SandboxRoute("nb", 8080, "/lab", ForwardedPrefix: "/nb/8080");
        var feature = new SandboxRequestFeature(route, sandbox, "/nb/8080/lab", null) { KeptPrefix = true, Destination = sandbox.Address!.At(8080) };
        context.Http.Features.Set(feature);
        using var answer = new HttpResponseMessage(System.Net.HttpStatusCode.Found) { Content = new ByteArrayContent([]) };
        answer.Headers.Location = new Uri("/nb/8080/tree", UriKind.Relative);
        answer.Headers.TryAddWithoutValidation("Set-Cookie", "_xsrf=1; Path=/nb/8080");

        await new ForwardingTransformer(new RoutingOptions { Mode = RoutingMode.Uri }).TransformResponseAsync(context.Http, answer, CancellationToken.None);

        Assert.Equal("/nb/8080/tree", context.Http.Response.Headers.Location.ToString());
        Assert.Equal("_xsrf=1; Path=/nb/8080", context.Http.Response.Headers.SetCookie.ToString());
    }
}

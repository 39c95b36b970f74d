using OpenSandbox.Ingress.Proxy.Pipeline;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy.Pipeline;

public sealed class RootRequestStageTests
{
    [Theory]
    [InlineData("/favicon.ico", "GET")]
    [InlineData("/robots.txt?x=1", "HEAD")]
    public async Task A_root_level_browser_request_gets_a_cacheable_204_and_goes_no_further(string target, string method)
    {
        var context = new StageContext(target, method: method);

        await new RootRequestStage().InvokeAsync(context.Http, context.Next);

        Assert.Equal(204, context.Status);
        Assert.Equal("public, max-age=86400", context.Http.Response.Headers.CacheControl.ToString());
        Assert.Equal(0, context.NextCalls);
    }

    [Theory]
    [InlineData("/", "GET")]
    [InlineData("/box/8080/favicon.ico", "GET")]
    [InlineData("/box/", "GET")]
    [InlineData("/favicon.ico", "POST")]
    public async Task Anything_else_goes_on_to_routing(string target, string method)
    {
        var context = new StageContext(target, method: method);

        await new RootRequestStage().InvokeAsync(context.Http, context.Next);

        Assert.Equal(1, context.NextCalls);
    }
}

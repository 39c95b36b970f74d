using Microsoft.AspNetCore.Http;
using OpenSandbox.Ingress.Proxy;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy;

public sealed class SameOriginTests
{
    [Theory]
    [InlineData("http", "nb-8888.example.com", "http://nb-8888.example.com", true)]
    [InlineData("http", "NB-8888.example.com:80", "http://nb-8888.example.com", true)]
    [InlineData("http", "nb-8888.example.com", "https://nb-8888.example.com", true)]
    [InlineData("https", "nb-8888.example.com", "http://nb-8888.example.com", false)]
    [InlineData("http", "nb-8888.example.com", "http://other-8888.example.com", false)]
    [InlineData("http", "nb-8888.example.com:28888", "http://nb-8888.example.com", false)]
    [InlineData("http", "nb-8888.example.com", "null", false)]
    public void Only_the_request_s_own_public_origin_counts(string scheme, string host, string origin, bool own)
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = scheme;
        context.Request.Host = new HostString(host);
        context.Request.Headers.Origin = origin;

        Assert.Equal(own, SameOrigin.IsOwnOrigin(context.Request));
    }
}

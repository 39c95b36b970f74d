using OpenSandbox.Ingress.Proxy;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy;

public sealed class UriRewriteTests
{
    private const string Prefix = "/sb/8080";
    private const string Sandbox = "10.0.0.5:8080";
    private const string Host = "sandboxes.example.com";
    private const string Origin = "https://sandboxes.example.com";

    [Theory]
    [InlineData("/login", "/sb/8080/login")]
    [InlineData("/", "/sb/8080/")]
    [InlineData("/a?b=/c#d", "/sb/8080/a?b=/c#d")]
    [InlineData("/sb/8080/already", "/sb/8080/already")]
    [InlineData("/sb/8080", "/sb/8080")]
    [InlineData("/sb/80800/not-under", "/sb/8080/sb/80800/not-under")]
    [InlineData("//cdn.example/x", "//cdn.example/x")]
    [InlineData("relative/path", "relative/path")]
    [InlineData("http://10.0.0.5:8080/home?x=1", "https://sandboxes.example.com/sb/8080/home?x=1")]
    [InlineData("http://10.0.0.5:8080", "https://sandboxes.example.com/sb/8080/")]
    [InlineData("http://sandboxes.example.com/next", "https://sandboxes.example.com/sb/8080/next")]
    [InlineData("https://sandboxes.example.com/sb/8080/next", "https://sandboxes.example.com/sb/8080/next")]
    [InlineData("https://elsewhere.example/x", "https://elsewhere.example/x")]
    [InlineData("http://10.0.0.5:9999/other-port", "http://10.0.0.5:9999/other-port")]
    [InlineData("mailto:someone@example.com", "mailto:someone@example.com")]
    public void Locations_move_under_the_prefix_like_nginx_proxy_redirect_default(string location, string expected) =>
        Assert.Equal(expected, UriRewrite.Location(location, Prefix, Sandbox, Host, Origin));

    [Theory]
    [InlineData("5; url=/next", "5; url=/sb/8080/next")]
    [InlineData("0;URL='/q'", "0;URL='/sb/8080/q'")]
    [InlineData("10", "10")]
    public void Refresh_urls_are_locations(string refresh, string expected) =>
        Assert.Equal(expected, UriRewrite.Refresh(refresh, Prefix, Sandbox, Host, Origin));

    [Theory]
    [InlineData("sid=1; Path=/", "sid=1; Path=/sb/8080")]
    [InlineData("sid=1; Path=/; HttpOnly", "sid=1; Path=/sb/8080; HttpOnly")]
    [InlineData("sid=1;path=/app;Secure", "sid=1;path=/sb/8080/app;Secure")]
    [InlineData("sid=1; Path=/sb/8080/x", "sid=1; Path=/sb/8080/x")]
    [InlineData("sid=1; HttpOnly", "sid=1; HttpOnly")]
    [InlineData("path=/value-not-attribute", "path=/value-not-attribute")]
    public void Cookie_paths_are_placed_under_the_prefix_like_nginx_proxy_cookie_path(string cookie, string expected) =>
        Assert.Equal(expected, UriRewrite.CookiePath(cookie, Prefix));
}

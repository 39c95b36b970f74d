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
        Assert.Equal(expected, UriRewrite.CookiePath(cookie, Prefix, defaultPathLeavesPrefix: false));

    [Theory]
    [InlineData("a=1; Path=/; Path=/", "a=1; Path=/sb/8080; Path=/sb/8080")]
    [InlineData("a=1; Path=/sb/8080; Path=/", "a=1; Path=/sb/8080; Path=/sb/8080")]
    [InlineData("a=1; Path=/x; Path=/sb/8080/y", "a=1; Path=/sb/8080/x; Path=/sb/8080/y")]
    public void Every_Path_attribute_is_placed_under_the_prefix_since_browsers_take_the_last(string cookie, string expected) =>
        Assert.Equal(expected, UriRewrite.CookiePath(cookie, Prefix, defaultPathLeavesPrefix: false));

    [Theory]
    [InlineData("b=2; Path =/", "b=2; Path =/sb/8080")]
    [InlineData("b=2;  Path = /x ; Secure", "b=2;  Path = /sb/8080/x ; Secure")]
    [InlineData("b=2;\tPath\t=\t/x\t", "b=2;\tPath\t=\t/sb/8080/x\t")]
    [InlineData("b=2; Path\u000b=/x", "b=2; Path\u000b=/sb/8080/x")]
    public void A_Path_attribute_with_spaces_around_its_name_or_value_is_placed_under_the_prefix(string cookie, string expected) =>
        Assert.Equal(expected, UriRewrite.CookiePath(cookie, Prefix, defaultPathLeavesPrefix: false));

    [Theory]
    [InlineData("c=3; PATH=/", "c=3; PATH=/sb/8080")]
    [InlineData("c=3; pAtH=/x", "c=3; pAtH=/sb/8080/x")]
    [InlineData("c=3; path=/x; HttpOnly", "c=3; path=/sb/8080/x; HttpOnly")]
    public void A_Path_attribute_in_any_case_is_placed_under_the_prefix(string cookie, string expected) =>
        Assert.Equal(expected, UriRewrite.CookiePath(cookie, Prefix, defaultPathLeavesPrefix: false));

    [Theory]
    [InlineData("d=4; Path=x", "d=4; Path=/sb/8080")]
    [InlineData("d=4; Path=x/y; Secure", "d=4; Path=/sb/8080; Secure")]
    [InlineData("d=4; Path=", "d=4; Path=/sb/8080")]
    [InlineData("d=4; Path= ; HttpOnly", "d=4; Path= /sb/8080; HttpOnly")]
    [InlineData("d=4; Path", "d=4; Path=/sb/8080")]
    [InlineData("d=4; Path=\u00a0/x", "d=4; Path=/sb/8080")]
    public void A_Path_value_not_starting_with_a_slash_becomes_the_prefix(string cookie, string expected) =>
        Assert.Equal(expected, UriRewrite.CookiePath(cookie, Prefix, defaultPathLeavesPrefix: false));

    [Theory]
    [InlineData("e=5; Path=/sb/8080")]
    [InlineData("e=5; Path=/sb/8080/x; path = /sb/8080/y ")]
    [InlineData("e=5; HttpOnly; Secure")]
    [InlineData("e=5")]
    public void A_cookie_already_under_the_prefix_or_without_Path_is_returned_as_it_is(string cookie) =>
        Assert.Same(cookie, UriRewrite.CookiePath(cookie, Prefix, defaultPathLeavesPrefix: false));

    [Theory]
    [InlineData("f=6", "f=6; Path=/sb/8080")]
    [InlineData("f=6; HttpOnly", "f=6; HttpOnly; Path=/sb/8080")]
    [InlineData("f=6; Path=/", "f=6; Path=/sb/8080")]
    [InlineData("f=6; Path\u00a0=/x", "f=6; Path\u00a0=/sb/8080/x; Path=/sb/8080")]
    public void Without_Path_a_cookie_answering_the_bare_prefix_gets_the_prefix_as_its_path(string cookie, string expected) =>
        Assert.Equal(expected, UriRewrite.CookiePath(cookie, Prefix, defaultPathLeavesPrefix: true));

    [Theory]
    [InlineData("/sb/8080", true)]
    [InlineData("/sb/8080?next=/a/b", true)]
    [InlineData("/sb/8080/", false)]
    [InlineData("/sb/8080/a/b?c=/d", false)]
    public void The_default_cookie_path_leaves_the_prefix_only_for_the_bare_prefix(string target, bool leaves) =>
        Assert.Equal(leaves, UriRewrite.DefaultCookiePathLeavesPrefix(target, Prefix));
}

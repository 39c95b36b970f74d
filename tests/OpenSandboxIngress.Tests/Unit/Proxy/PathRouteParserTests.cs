using CsCheck;
using OpenSandbox.Ingress.Proxy;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy;

public sealed class PathRouteParserTests
{
    [Theory]
    [InlineData("/sb/8080/a%2Fb/../c?x=1", "sb", 8080, "/a%2Fb/../c?x=1", "/sb/8080")]
    [InlineData("/sb/8080", "sb", 8080, "/", "/sb/8080")]
    [InlineData("/sb/8080/", "sb", 8080, "/", "/sb/8080")]
    [InlineData("/sb/8080?x=1&y", "sb", 8080, "/?x=1&y", "/sb/8080")]
    [InlineData("/sb/8080/?x=/a/b", "sb", 8080, "/?x=/a/b", "/sb/8080")]
    [InlineData("/my-box/1//deep//", "my-box", 1, "//deep//", "/my-box/1")]
    [InlineData("/My_Box/65535/x", "My_Box", 65535, "/x", "/My_Box/65535")]
    public void The_remainder_is_kept_byte_for_byte(string target, string id, int port, string rest, string prefix)
    {
        var (route, error) = PathRouteParser.Parse(target);

        Assert.Null(error);
        Assert.Equal(id, route!.SandboxId);
        Assert.Equal(port, route.Port);
        Assert.Equal(rest, route.PathAndQuery);
        Assert.Equal(prefix, route.ForwardedPrefix);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/sb")]
    [InlineData("/sb/")]
    [InlineData("//8080/")]
    [InlineData("/sb/0/")]
    [InlineData("/sb/08080")]
    [InlineData("/sb/65536")]
    [InlineData("/sb/-1/")]
    [InlineData("/sb/8080x/")]
    [InlineData("/sb?/8080")]
    [InlineData("*")]
    public void Malformed_paths_are_rejected(string target)
    {
        var (route, error) = PathRouteParser.Parse(target);

        Assert.Null(route);
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("/sb/9000/x2qxvk/8e1e06e3a/rest/of?q=1", "/rest/of?q=1", "/sb/9000/x2qxvk/8e1e06e3a")]
    [InlineData("/sb/9000/x2qxvk/8e1e06e3a", "/", "/sb/9000/x2qxvk/8e1e06e3a")]
    [InlineData("/sb/9000/x2qxvk/8e1e06e3a?q", "/?q", "/sb/9000/x2qxvk/8e1e06e3a")]
    public void Signed_shapes_get_a_second_reading_and_the_unsigned_one_is_kept(string target, string signedRest, string signedPrefix)
    {
        var (route, _) = PathRouteParser.Parse(target);

        Assert.Equal(new RouteSignature("x2qxvk", "8e1e06e3a"), route!.Signature);
        Assert.Equal(signedRest, route.SignedPathAndQuery);
        Assert.Equal(signedPrefix, route.SignedForwardedPrefix);
        Assert.StartsWith("/x2qxvk/8e1e06e3a", route.PathAndQuery);
    }

    [Theory]
    [InlineData("/sb/9000/docs/readme.txt")]
    [InlineData("/sb/9000/x2qxvk")]
    [InlineData("/sb/9000/x2-qxvk/8e1e06e3a/")]
    public void Other_paths_have_no_signed_reading(string target)
    {
        var (route, _) = PathRouteParser.Parse(target);

        Assert.Null(route!.Signature);
        Assert.Null(route.SignedPathAndQuery);
    }

    [Fact]
    public void Formatting_then_parsing_gives_back_the_same_route()
    {
        var idGen = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-"], 1, 40];
        var restGen = Gen.String[Gen.Char["abc/%2F.?=&"], 0, 30];
        Gen.Select(idGen, Gen.Int[1, 65535], restGen).Sample((id, port, rest) =>
        {
            var (route, error) = PathRouteParser.Parse($"/{id}/{port}/{rest}");
            return error is null && route!.SandboxId == id && route.Port == port && route.PathAndQuery == "/" + rest;
        }, iter: 10_000);
    }
}

using CsCheck;
using OpenSandbox.Ingress.Proxy;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy;

public sealed class HostLabelParserTests
{
    [Theory]
    [InlineData("my-box-8080", false, "my-box", 8080)]
    [InlineData("box-1", false, "box", 1)]
    [InlineData("box-65535", false, "box", 65535)]
    [InlineData("http://my-box-8080", false, "my-box", 8080)]
    [InlineData("https://my-box-8080.sandboxes.example.com", false, "my-box", 8080)]
    [InlineData("HTTPS://my-box-8080.example.com:443", false, "my-box", 8080)]
    [InlineData("my-box-8080:28888", false, "my-box", 8080)]
    [InlineData("my-box-8080/path", false, "my-box", 8080)]
    [InlineData("a-b-c-d-80", false, "a-b-c-d", 80)]
    [InlineData("My-Box-8080.Example.com", true, "my-box", 8080)]
    [InlineData("My-Box-8080", false, "My-Box", 8080)]
    [InlineData("  my-box-8080  ", false, "my-box", 8080)]
    public void Unsigned_labels_split_on_the_last_dash(string key, bool fromHost, string id, int port)
    {
        var (route, error) = HostLabelParser.Parse(key, fromHost, "/p?q");

        Assert.Null(error);
        Assert.Equal(id, route!.SandboxId);
        Assert.Equal(port, route.Port);
        Assert.Equal("/p?q", route.PathAndQuery);
        Assert.Null(route.Signature);
        Assert.Null(route.ForwardedPrefix);
    }

    [Theory]
    [InlineData("")]
    [InlineData("box")]
    [InlineData("-8080")]
    [InlineData("box-")]
    [InlineData("box-0")]
    [InlineData("box-08080")]
    [InlineData("box-65536")]
    [InlineData("box-+80")]
    [InlineData("box-1e3")]
    [InlineData("box-80a")]
    [InlineData("box-99999999999")]
    [InlineData(".box-80")]
    [InlineData("http://")]
    [InlineData("[::1]:8080")]
    [InlineData("a-b-c-123456789")]
    [InlineData("box-80-abc-12345678")]
    public void Malformed_labels_are_rejected(string key)
    {
        var (route, error) = HostLabelParser.Parse(key, fromHostHeader: false, "/");

        Assert.Null(route);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Theory]
    [InlineData("my-sandbox-9000-x2qxvk-8e1e06e3a", "my-sandbox", 9000, "x2qxvk", "8e1e06e3a")]
    [InlineData("sb-42-0-8ccd73a1z", "sb", 42, "0", "8ccd73a1z")]
    [InlineData("a-b-8080-1vuhmo0-3c720fdf0.example.com", "a-b", 8080, "1vuhmo0", "3c720fdf0")]
    public void Signed_labels_are_recognised_by_the_shape_of_the_last_three_segments(string key, string id, int port, string expires, string signature)
    {
        var (route, error) = HostLabelParser.Parse(key, fromHostHeader: true, "/");

        Assert.Null(error);
        Assert.Equal(id, route!.SandboxId);
        Assert.Equal(port, route.Port);
        Assert.Equal(new RouteSignature(expires, signature), route.Signature);
    }

    [Theory]
    [InlineData("my-box-9000-X2QXVK-8E1E06E3A")]
    [InlineData("my-box-9000-x2qxvk00000000-8e1e06e3a")]
    [InlineData("my-box-9000-0x2qxvk-8e1e06e3a")]
    [InlineData("sba-8080-zzzzzzzzzzzzzz-12345678a")]
    [InlineData("sba-8080-zzz-1q234567a")]
    public void Malformed_signed_shapes_have_no_reading_at_all(string key)
    {
        var (route, error) = HostLabelParser.Parse(key, fromHostHeader: false, "/");

        Assert.Null(route);
        Assert.Equal("malformed signed route (expiry or signature)", error);
    }

    [Fact]
    public void Formatting_then_parsing_gives_back_the_same_route()
    {
        var idGen = Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-"], 1, 40].Where(id => id.Trim('-').Length > 0 && !id.EndsWith('-'));
        Gen.Select(idGen, Gen.Int[1, 65535]).Sample((id, port) =>
        {
            var (route, error) = HostLabelParser.Parse($"{id}-{port}.sandboxes.example.com", fromHostHeader: true, "/");
            return error is null && route!.SandboxId == id && route.Port == port;
        }, iter: 10_000);
    }
}

using OpenSandbox.Ingress.Proxy;

namespace OpenSandbox.Ingress.Tests.Unit.Proxy;

public sealed class RoutePortTests
{
    [Theory]
    [InlineData("1", 1)]
    [InlineData("80", 80)]
    [InlineData("65535", 65535)]
    public void Valid_ports_parse(string text, int expected)
    {
        Assert.True(RoutePort.TryParse(text, out var port));
        Assert.Equal(expected, port);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("00080")]
    [InlineData("080")]
    [InlineData("65536")]
    [InlineData("99999")]
    [InlineData("+80")]
    [InlineData("-80")]
    [InlineData("1e3")]
    [InlineData(" 80")]
    [InlineData("８０")]
    [InlineData("123456")]
    public void Invalid_ports_are_rejected(string text) => Assert.False(RoutePort.TryParse(text, out _));
}

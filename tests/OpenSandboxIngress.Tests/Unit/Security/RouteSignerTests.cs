using OpenSandbox.Ingress.Security;
using OpenSandbox.Ingress.Tests.Infrastructure;

namespace OpenSandbox.Ingress.Tests.Unit.Security;

/// <summary>Known answers from the issue, computed independently of this code base.</summary>
public sealed class RouteSignerTests
{
    [Theory]
    [InlineData("dGVzdC1zZWNyZXQtYnl0ZXM=", "my-sandbox", 9000, "x2qxvk", "8e1e06e3")]
    [InlineData("dGVzdC1zZWNyZXQtYnl0ZXM=", "my-sandbox", 9000, "3w5e11264sgsf", "ce06eeb8")]
    [InlineData("AQID", "sb", 42, "0", "8ccd73a1")]
    [InlineData("aw==", "alpha-beta", 8080, "1vuhmo0", "3c720fdf")]
    public void Known_answers(string secretBase64, string sandboxId, int port, string expires, string hex8)
    {
        var secret = Convert.FromBase64String(secretBase64);

        Assert.Equal(hex8, RouteSigner.Digest8(secret, sandboxId, port, expires));
        Assert.True(RouteSigner.Verify(secret, sandboxId, port, expires, hex8));
        Assert.False(RouteSigner.Verify(secret, sandboxId, port + 1, expires, hex8));
    }

    [Theory]
    [InlineData("x2qxvk", 2_000_000_000UL)]
    [InlineData("3w5e11264sgsf", ulong.MaxValue)]
    [InlineData("0", 0UL)]
    [InlineData("1vuhmo0", 4_102_444_800UL)]
    public void Expiry_is_lower_case_base_36(string text, ulong seconds)
    {
        Assert.True(SignedRouteSyntax.TryParseExpires(text, out var parsed));
        Assert.Equal(seconds, parsed);
        Assert.Equal(text, Base36.Format(seconds));
    }

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("0x2qxvk")]
    [InlineData("X2QXVK")]
    [InlineData("3w5e11264sgsg")]
    [InlineData("zzzzzzzzzzzzz")]
    [InlineData("10000000000000")]
    [InlineData("x2q-vk")]
    public void Malformed_expiry_is_rejected(string text) => Assert.False(SignedRouteSyntax.TryParseExpires(text, out _));
}

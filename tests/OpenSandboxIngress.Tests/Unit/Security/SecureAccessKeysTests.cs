using OpenSandbox.Ingress.Security;

namespace OpenSandbox.Ingress.Tests.Unit.Security;

public sealed class SecureAccessKeysTests
{
    [Theory]
    [InlineData(null, 0)]
    [InlineData("", 0)]
    [InlineData("a=AQID", 1)]
    [InlineData("a=AQID, b=base64:aw==", 2)]
    [InlineData("0=AQID,z=AQID", 2)]
    [InlineData(" k = AQID ,, b = aw== ", 2)]
    [InlineData("a=AQID,,b=aw==,", 2)]
    [InlineData("  ", 0)]
    [InlineData(" , ,", 0)]
    public void Valid_key_lists_parse(string? text, int count)
    {
        Assert.True(SecureAccessKeys.TryParse(text, out var keys, out var error), error);
        Assert.Equal(count, keys!.Count);
    }

    [Fact]
    public void The_base64_prefix_is_optional()
    {
        Assert.True(SecureAccessKeys.TryParse("k=base64:AQID", out var keys, out _));
        Assert.True(keys!.TryGetSecret('k', out var secret));
        Assert.Equal(new byte[] { 1, 2, 3 }, secret);
    }

    [Theory]
    [InlineData("a", "expected id=base64")]
    [InlineData("ab=AQID", "one character")]
    [InlineData("A=AQID", "one character")]
    [InlineData("=AQID", "one character")]
    [InlineData("a=", "empty")]
    [InlineData("a=base64:", "empty")]
    [InlineData("a=!!notbase64", "not valid base64")]
    [InlineData("a=AQID,a=aw==", "given twice")]
    [InlineData("a=AQID, =aw==", "one character")]
    public void Malformed_key_lists_name_the_segment_but_never_the_secret(string text, string problem)
    {
        Assert.False(SecureAccessKeys.TryParse(text, out _, out var error));
        Assert.Contains(problem, error);
        Assert.DoesNotContain("AQID", error);
        Assert.DoesNotContain("aw==", error);
    }
}
